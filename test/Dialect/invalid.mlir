// RUN: dr1-opt %s -split-input-file -verify-diagnostics
// Every verifier and type-inference error of the dr1 dialect.

func.func @case0(%a: tensor<4x8xf32>, %b: tensor<9x3xf32>) {
  // expected-error @+2 {{matmul contraction mismatch: lhs [4, 8] has K = 8 but rhs [9, 3] has K = 9}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.matmul %a, %b : (tensor<4x8xf32>, tensor<9x3xf32>) -> tensor<4x3xf32>
  return
}
// -----

func.func @case1(%a: tensor<8xf32>, %b: tensor<8x3xf32>) {
  // expected-error @+2 {{matmul operands must have rank >= 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.matmul %a, %b : (tensor<8xf32>, tensor<8x3xf32>) -> tensor<3xf32>
  return
}
// -----

func.func @case2(%a: tensor<2x4x8xf32>, %b: tensor<3x8x3xf32>) {
  // expected-error @+2 {{matmul batch dimensions do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.matmul %a, %b : (tensor<2x4x8xf32>, tensor<3x8x3xf32>) -> tensor<2x4x3xf32>
  return
}
// -----

func.func @case3(%a: tensor<4x8xbf16>, %b: tensor<8x3xf16>) {
  // expected-error @+2 {{rhs element type f16 differs from the input's bf16}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.matmul %a, %b : (tensor<4x8xbf16>, tensor<8x3xf16>) -> tensor<4x3xf32>
  return
}
// -----

func.func @mixed_int_float(%a: tensor<4x8xf32>, %b: tensor<8x3xi8>) {
  // expected-error @+2 {{rhs element type i8 differs from the input's f32}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.matmul %a, %b : (tensor<4x8xf32>, tensor<8x3xi8>) -> tensor<4x3xf32>
  return
}
// -----

// Only f16 / bf16 products may be declared wider, and only as f32.
func.func @narrow_result(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) {
  // expected-error @+2 {{inferred type(s)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.matmul %a, %b : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xbf16>
  return
}
// -----

func.func @f16_to_f64(%a: tensor<4x8xf16>, %b: tensor<8x3xf16>) {
  // expected-error @+2 {{inferred type(s)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.matmul %a, %b : (tensor<4x8xf16>, tensor<8x3xf16>) -> tensor<4x3xf64>
  return
}
// -----

func.func @bias_type(%x: tensor<2x8xbf16>, %w: tensor<4x8xbf16>, %b: tensor<4xf16>) {
  // expected-error @+2 {{bias element type f16 differs from the product's bf16}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.linear %x, %w, %b : (tensor<2x8xbf16>, tensor<4x8xbf16>, tensor<4xf16>) -> tensor<2x4xbf16>
  return
}
// -----

func.func @case4(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) {
  // expected-error @+2 {{inferred type(s)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.matmul %a, %b : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x4xf32>
  return
}
// -----

func.func @case5(%x: tensor<4x8xf32>, %w: tensor<3x7xf32>) {
  // expected-error @+2 {{linear weight [3, 7] expects K = 7 but the input [4, 8] has K = 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.linear %x, %w : (tensor<4x8xf32>, tensor<3x7xf32>) -> tensor<4x3xf32>
  return
}
// -----

func.func @case6(%x: tensor<4x8xf32>, %w: tensor<3x8x1xf32>) {
  // expected-error @+2 {{linear weight must be 2-D [N, K], got [3, 8, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.linear %x, %w : (tensor<4x8xf32>, tensor<3x8x1xf32>) -> tensor<4x3xf32>
  return
}
// -----

func.func @case7(%x: tensor<4x8xf32>, %w: tensor<3x8xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{linear bias must be [3], got [4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.linear %x, %w, %b : (tensor<4x8xf32>, tensor<3x8xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return
}
// -----

func.func @case8(%a: tensor<4x8xf32>, %b: tensor<3x8xf32>) {
  // expected-error @+2 {{gemm contraction mismatch: op(a) is [4, 8] but op(b) is [3, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.gemm %a, %b : (tensor<4x8xf32>, tensor<3x8xf32>) -> tensor<4x3xf32>
  return
}
// -----

func.func @case9(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>, %c: tensor<5xf32>) {
  // expected-error @+2 {{gemm c [5] does not broadcast to [4, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.gemm %a, %b, %c : (tensor<4x8xf32>, tensor<8x3xf32>, tensor<5xf32>) -> tensor<4x3xf32>
  return
}
// -----

func.func @case10(%a: tensor<4xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{gemm operands must be 2-D}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.gemm %a, %b : (tensor<4xf32>, tensor<4x3xf32>) -> tensor<3xf32>
  return
}
// -----

func.func @case11(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{conv2d weight [4, 2, 3, 3] expects 2 input channels per group but the input [1, 3, 8, 8] has 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}
// -----

func.func @case12(%x: tensor<3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{conv2d input must be 4-D NCHW, got [3, 8, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.conv2d %x, %w : (tensor<3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}
// -----

func.func @case13(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+2 {{conv2d weight must be 4-D [F, C/groups, KH, KW], got [4, 3, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}
// -----

func.func @case14(%x: tensor<1x6x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{conv2d groups = 4 must divide input channels (6) and output channels (4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.conv2d %x, %w {groups = 4 : i64} : (tensor<1x6x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}
// -----

func.func @case15(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{conv2d strides must be 2 values >= 1, got [0, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.conv2d %x, %w {strides = array<i64: 0, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}
// -----

func.func @case16(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{conv2d padding must be 4 values >= 0 [top, left, bottom, right], got [1, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.conv2d %x, %w {padding = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}
// -----

func.func @case17(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{conv2d dilations must be 2 values >= 1, got [1, -1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.conv2d %x, %w {dilations = array<i64: 1, -1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}
// -----

func.func @case18(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{conv2d kernel [3, 3] does not fit the padded input [1, 3, 2, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.conv2d %x, %w : (tensor<1x3x2x2xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32>
  return
}
// -----

func.func @case19(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{conv2d bias must be [4], got [3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.conv2d %x, %w, %b : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return
}
// -----

func.func @case20(%x: tensor<2x3x4xf32>, %c: tensor<4xf32>) {
  // expected-error @+2 {{batch_norm scale must be [3], got [4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.batch_norm %x, %c, %c, %c, %c : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return
}
// -----

func.func @case21(%x: tensor<3xf32>, %c: tensor<3xf32>) {
  // expected-error @+2 {{batch_norm input must have rank >= 2 [N, C, ...], got [3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.batch_norm %x, %c, %c, %c, %c : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}
// -----

func.func @case22(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+2 {{max_pool2d kernel_shape must be 2 values >= 1, got [2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.max_pool2d %x {kernel_shape = array<i64: 2>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  return
}
// -----

func.func @case23(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+2 {{max_pool2d padding [2, 0, 0, 0] must be smaller than the kernel [2, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.max_pool2d %x {kernel_shape = array<i64: 2, 2>, padding = array<i64: 2, 0, 0, 0>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  return
}
// -----

func.func @case24(%x: tensor<3x8x8xf32>) {
  // expected-error @+2 {{avg_pool2d input must be 4-D NCHW, got [3, 8, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.avg_pool2d %x {kernel_shape = array<i64: 2, 2>} : (tensor<3x8x8xf32>) -> tensor<3x4x4xf32>
  return
}
// -----

func.func @case25(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+2 {{avg_pool2d kernel [9, 9] does not fit the padded input [1, 3, 8, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.avg_pool2d %x {kernel_shape = array<i64: 9, 9>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x1x1xf32>
  return
}
// -----

func.func @case26(%x: tensor<3x8xf32>) {
  // expected-error @+2 {{global_avg_pool input must have rank >= 3 [N, C, ...], got [3, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.global_avg_pool %x : (tensor<3x8xf32>) -> tensor<3x1xf32>
  return
}
// -----

func.func @case27(%x: tensor<2x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'dr1.layer_norm' op scale must have the normalized shape [8], got [4]}}
  %0 = dr1.layer_norm %x, %g : (tensor<2x8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return
}
// -----

func.func @case28(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'dr1.layer_norm' op axis 2 is out of range for rank 2}}
  %0 = dr1.layer_norm %x {axis = 2 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}
// -----

func.func @case29(%x: tensor<4xf32>) {
  // expected-error @+1 {{'dr1.clip' op min 6.000000e+00 is greater than max 0.000000e+00}}
  %0 = dr1.clip %x {min = 6.0 : f32, max = 0.0 : f32} : tensor<4xf32>
  return
}
// -----

func.func @case30(%x: tensor<4xf32>) {
  // expected-error @+1 {{'dr1.gelu' op approximate must be "none" or "tanh", got "fast"}}
  %0 = dr1.gelu %x {approximate = "fast"} : tensor<4xf32>
  return
}
// -----

func.func @case31(%x: tensor<4xi32>) {
  // expected-error @+1 {{'dr1.sigmoid' op operand #0 must be ranked tensor of floating-point values}}
  %0 = dr1.sigmoid %x : tensor<4xi32>
  return
}
// -----

func.func @case32(%a: tensor<4x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{add operand shapes [4, 3] and [4] do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.add %a, %b : (tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return
}
// -----

func.func @case33(%a: tensor<4xf32>, %b: tensor<4xi32>) {
  // expected-error @+2 {{mul operands have different element types f32 and i32}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.mul %a, %b : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xf32>
  return
}
// -----

func.func @case34(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{inferred type(s)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.sub %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<5xf32>
  return
}
// -----

func.func @case35(%x: tensor<4xf32>) {
  // expected-error @+1 {{'dr1.cast' op cannot change the shape: [4] to [5]}}
  %0 = dr1.cast %x : tensor<4xf32> to tensor<5xi32>
  return
}
// -----

func.func @case36(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'dr1.softmax' op axis 2 is out of range for rank 2}}
  %0 = dr1.softmax %x {axis = 2 : i64} : tensor<2x3xf32>
  return
}
// -----

func.func @case37(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'dr1.log_softmax' op axis -3 is out of range for rank 2}}
  %0 = dr1.log_softmax %x {axis = -3 : i64} : tensor<2x3xf32>
  return
}
// -----

func.func @case38(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{reduce_sum axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.reduce_sum %x {axes = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}
// -----

func.func @case39(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{reduce_max axis -1 is repeated}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.reduce_max %x {axes = array<i64: 1, -1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}
// -----

func.func @case40(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'dr1.reshape' op element count changes from 6 [2, 3] to 5 [5]}}
  %0 = dr1.reshape %x : tensor<2x3xf32> -> tensor<5xf32>
  return
}
// -----

func.func @case41(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'dr1.reshape' op cannot change the element type: 'f32' to 'f16'}}
  %0 = dr1.reshape %x : tensor<2x3xf32> -> tensor<6xf16>
  return
}
// -----

func.func @case42(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{flatten axis 3 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.flatten %x {axis = 3 : i64} : (tensor<2x3xf32>) -> tensor<6x1xf32>
  return
}
// -----

func.func @case43(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{transpose perm [0, 0] is not a permutation of 2 dimensions}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}
// -----

func.func @case44(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) {
  // expected-error @+2 {{concat input 1 [3, 3] differs from input 0 [2, 3] in dimension 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return
}
// -----

func.func @case45(%a: tensor<2x3xf32>, %b: tensor<2xf32>) {
  // expected-error @+2 {{concat input 1 has rank 1, input 0 has rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x3xf32>
  return
}
// -----

func.func @case46(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{concat axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.concat %a {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}
// -----

func.func @case47(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{slice [2, 9) in dimension 1 is not within [0, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.slice %x {starts = array<i64: 0, 2>, ends = array<i64: 4, 9>, steps = array<i64: 1, 1>} : (tensor<4x8xf32>) -> tensor<4x7xf32>
  return
}
// -----

func.func @case48(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{slice needs one start, end and step per dimension (2), got 1, 1, 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.slice %x {starts = array<i64: 0>, ends = array<i64: 4>, steps = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}
// -----

func.func @case49(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{slice step 0 in dimension 1 must be >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.slice %x {starts = array<i64: 0, 0>, ends = array<i64: 4, 8>, steps = array<i64: 1, 0>} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}
// -----

func.func @case50(%t: tensor<10x4xf32>, %i: tensor<3xi64>) {
  // expected-error @+2 {{gather axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.gather %t, %i {axis = 2 : i64} : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  return
}
// -----

func.func @case51(%t: tensor<10x4xf32>, %i: tensor<3xf32>) {
  // expected-error @+1 {{'dr1.gather' op operand #1 must be ranked tensor of signless integer values}}
  %0 = dr1.gather %t, %i : (tensor<10x4xf32>, tensor<3xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @where_condition(%c: tensor<3xi1>, %a: tensor<4xf32>) {
  // expected-error @+2 {{where condition shape [3] does not broadcast with the values' [4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.where %c, %a, %a : (tensor<3xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @compare_types(%a: tensor<4xf32>, %b: tensor<4xi32>) {
  // expected-error @+2 {{less operands have different element types f32 and i32}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.less %a, %b : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xi1>
  return
}

// -----

func.func @attention_rank(%q: tensor<16x8xf32>, %kt: tensor<1x8x32xf32>, %v: tensor<32x6xf32>) {
  // expected-error @+2 {{attention operands must have the same rank >= 2, got query [16, 8], key_t [1, 8, 32] and value [32, 6]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.attention %q, %kt, %v : (tensor<16x8xf32>, tensor<1x8x32xf32>, tensor<32x6xf32>) -> tensor<16x6xf32>
  return
}

// -----

func.func @attention_batch(%q: tensor<2x16x8xf32>, %kt: tensor<1x8x32xf32>, %v: tensor<2x32x6xf32>) {
  // expected-error @+2 {{attention batch dimensions differ: query [2, 16, 8], key_t [1, 8, 32], value [2, 32, 6]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.attention %q, %kt, %v : (tensor<2x16x8xf32>, tensor<1x8x32xf32>, tensor<2x32x6xf32>) -> tensor<2x16x6xf32>
  return
}

// -----

func.func @attention_chain(%q: tensor<16x8xf32>, %kt: tensor<8x32xf32>, %v: tensor<31x6xf32>) {
  // expected-error @+2 {{attention shapes do not chain: query [16, 8], key_t [8, 32], value [31, 6]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.attention %q, %kt, %v : (tensor<16x8xf32>, tensor<8x32xf32>, tensor<31x6xf32>) -> tensor<16x6xf32>
  return
}

// -----

func.func @attention_mask(%q: tensor<16x8xf32>, %kt: tensor<8x32xf32>, %v: tensor<32x6xf32>, %m: tensor<2x1x32xf32>) {
  // expected-error @+2 {{attention mask [2, 1, 32] does not broadcast to the scores [16, 32]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.attention %q, %kt, %v mask %m : (tensor<16x8xf32>, tensor<8x32xf32>, tensor<32x6xf32>, tensor<2x1x32xf32>) -> tensor<16x6xf32>
  return
}

// -----

func.func @quant_scales_without_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{has 2 scales but no axis to apply them along}}
  %0 = dr1.quantize %x {scale = array<f32: 0.1, 0.2>, zero_point = array<i64: 0, 0>} : tensor<2x3xf32> to tensor<2x3xi8>
  return
}

// -----

func.func @quant_axis_size(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{has 2 scales for axis 1 of size 3}}
  %0 = dr1.quantize %x {scale = array<f32: 0.1, 0.2>, zero_point = array<i64: 0, 0>, axis = 1 : i64} : tensor<2x3xf32> to tensor<2x3xi8>
  return
}

// -----

func.func @quant_zero_point_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{zero point 128 does not fit 'i8' [-128, 127]}}
  %0 = dr1.quantize %x {scale = array<f32: 0.1>, zero_point = array<i64: 128>} : tensor<4xf32> to tensor<4xi8>
  return
}

// -----

func.func @quant_scale_positive(%q: tensor<4xi8>) {
  // expected-error @+1 {{scales must be positive and finite, got 0}}
  %0 = dr1.dequantize %q {scale = array<f32: 0.0>, zero_point = array<i64: 0>} : tensor<4xi8> to tensor<4xf32>
  return
}

// -----

func.func @quant_shape(%q: tensor<4xi8>) {
  // expected-error @+1 {{cannot change the shape: [4] to [2, 2]}}
  %0 = dr1.dequantize %q {scale = array<f32: 1.0>, zero_point = array<i64: 0>} : tensor<4xi8> to tensor<2x2xf32>
  return
}

// -----

func.func @quant_params_count(%x: tensor<4xf32>) {
  // expected-error @+1 {{needs as many zero points as scales (at least one), got 1 scales and 2 zero points}}
  %0 = dr1.quantize %x {scale = array<f32: 0.1>, zero_point = array<i64: 0, 1>} : tensor<4xf32> to tensor<4xi8>
  return
}

// -----

func.func @int_linear_bias(%x: tensor<2x8xi8>, %w: tensor<4x8xi8>, %b: tensor<4xi8>) {
  // expected-error @+2 {{bias element type i8 differs from the product's i32}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.linear %x, %w, %b : (tensor<2x8xi8>, tensor<4x8xi8>, tensor<4xi8>) -> tensor<2x4xi32>
  return
}

// -----

func.func @float_conv_pad_value(%x: tensor<1x2x4x4xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+2 {{conv2d pad_value applies to integer convolutions only}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dr1.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>, pad_value = 3 : i64} : (tensor<1x2x4x4xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x4x4xf32>
  return
}

// -----

func.func @broadcast_dim(%x: tensor<3x4xf32>) -> tensor<2x5x4xf32> {
  // expected-error @+1 {{'dr1.broadcast' op input dimension 0 (3) is neither 1 nor the result's 5}}
  %0 = dr1.broadcast %x : tensor<3x4xf32> -> tensor<2x5x4xf32>
  return %0 : tensor<2x5x4xf32>
}

// -----

func.func @broadcast_rank(%x: tensor<2x3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'dr1.broadcast' op cannot broadcast rank 3 to the lower rank 2}}
  %0 = dr1.broadcast %x : tensor<2x3x4xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @broadcast_type(%x: tensor<4xf32>) -> tensor<2x4xf16> {
  // expected-error @+1 {{'dr1.broadcast' op cannot change the element type: 'f32' to 'f16'}}
  %0 = dr1.broadcast %x : tensor<4xf32> -> tensor<2x4xf16>
  return %0 : tensor<2x4xf16>
}

// -----

func.func @pad_outside(%x: tensor<3x4xf32>) -> tensor<6x4xf32> {
  // expected-error @+1 {{'dr1.pad' op dimension 0: element 2 lands at 6, outside the result's 6}}
  %0 = dr1.pad %x {low = array<i64: 2, 0>, strides = array<i64: 2, 1>} : tensor<3x4xf32> -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}

// -----

func.func @pad_stride(%x: tensor<3x4xf32>) -> tensor<6x4xf32> {
  // expected-error @+1 {{'dr1.pad' op dimension 1: low must be >= 0 and stride >= 1, got 0 and 0}}
  %0 = dr1.pad %x {low = array<i64: 0, 0>, strides = array<i64: 1, 0>} : tensor<3x4xf32> -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}
