// RUN: %dr1-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(dr1-gpu-tile-matmul{multiprocessors=132}))" | FileCheck %s
// RUN: not %dr1-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(dr1-gpu-tile-matmul{tile=64x64x3x4}))" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: bad tile '64x64x3x4' (expected BMxBNxTMxTN

// 1024^3 on 132 multiprocessors: 128x128 tiles would leave half of them
// idle, so 64x64 (4x4 per thread, 256 threads). Tiles divide every
// dimension: no clamps, no guards. The fill of C becomes the accumulators'
// start value.
// CHECK-LABEL: func.func @square
// CHECK-NOT: linalg
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c16{{.*}}, {{.*}} = %c16{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c256{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) workgroup(%[[AS:.*]] : memref<8x68xf32, #gpu.address_space<workgroup>>, %[[BS:.*]] : memref<8x64xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT: arith.minui
// CHECK: scf.for {{.*}} = %{{.*}} to %c128{{.*}} step
// CHECK-COUNT-2: memref.store {{.*}}, %[[AS]]
// CHECK-COUNT-2: memref.store {{.*}}, %[[BS]]
// CHECK: gpu.barrier
// The next slices, the last one reloaded rather than read past K.
// CHECK: arith.minui {{.*}}, %c1016
// CHECK: vector.load %[[AS]][{{.*}}] {alignment = 16 : i64} : memref<8x68xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: vector.load %[[BS]]
// CHECK-COUNT-16: math.fma
// CHECK: gpu.barrier
// CHECK: scf.yield
// CHECK-NOT: scf.if
// CHECK-NOT: arith.addf
// CHECK-COUNT-16: memref.store {{.*}}, %arg2
// CHECK: gpu.terminator
func.func @square(%a: memref<1024x1024xf32>, %b: memref<1024x1024xf32>, %c: memref<1024x1024xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<1024x1024xf32>)
  linalg.matmul ins(%a, %b : memref<1024x1024xf32>, memref<1024x1024xf32>) outs(%c : memref<1024x1024xf32>)
  return
}

// -----

// Edges in M, N and K: rows and columns clamped (never stored), k past K
// zeroed, stores guarded. Without a fill, C is read and added. bf16
// operands are widened as they are loaded.
// CHECK-LABEL: func.func @edges
// CHECK: gpu.launch {{.*}}workgroup({{.*}} : memref<8x36xf32, #gpu.address_space<workgroup>>, {{.*}} : memref<8x32xf32, #gpu.address_space<workgroup>>)
// CHECK: arith.minui {{.*}}, %c129
// CHECK: arith.minui {{.*}}, %c128
// CHECK: scf.for {{.*}} to %c3
// CHECK: gpu.barrier
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[K:.*]], %c17
// CHECK: %[[KC:.*]] = arith.minui %[[K]], %c16
// CHECK: %[[V:.*]] = memref.load %arg0[{{.*}}, %[[KC]]] : memref<130x17xbf16>
// CHECK: %[[W:.*]] = arith.extf %[[V]] : bf16 to f32
// CHECK: arith.select %[[IN]], %[[W]], %cst
// CHECK: scf.if
// CHECK:   %[[OLD:.*]] = memref.load %arg2
// CHECK:   arith.addf {{.*}}, %[[OLD]]
// CHECK:   memref.store
func.func @edges(%a: memref<130x17xbf16>, %b: memref<17x129xbf16>, %c: memref<130x129xf32>) {
  linalg.matmul ins(%a, %b : memref<130x17xbf16>, memref<17x129xbf16>) outs(%c : memref<130x129xf32>)
  return
}

// -----

// Batches on grid z; a constant weight is re-created inside the kernel, so
// that outlining moves it into the device module. A non-zero fill is added.
memref.global "private" constant @w : memref<4x64x256xf32> = dense<1.0>
// CHECK-LABEL: func.func @batched
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ:.*]]) in ({{.*}} = %c8{{.*}}, {{.*}} = %c4{{.*}}, {{.*}} = %c4{{.*}})
// CHECK: %[[G:.*]] = memref.get_global @w
// CHECK: memref.load %[[G]][%[[BZ]],
// CHECK: arith.addf {{.*}}, %cst
// CHECK: memref.store {{.*}}, %arg1[%[[BZ]],
func.func @batched(%a: memref<4x128x64xf32>, %c: memref<4x128x256xf32>) {
  %one = arith.constant 1.0 : f32
  %w = memref.get_global @w : memref<4x64x256xf32>
  linalg.fill ins(%one : f32) outs(%c : memref<4x128x256xf32>)
  linalg.batch_matmul ins(%a, %w : memref<4x128x64xf32>, memref<4x64x256xf32>) outs(%c : memref<4x128x256xf32>)
  return
}

// -----

// Below min-work (2^18 multiply-adds), or with integer sums: left to the
// one-thread-per-element mapping.
// CHECK-LABEL: func.func @small
// CHECK-NOT: gpu.launch
// CHECK: linalg.matmul
// CHECK: linalg.matmul
func.func @small(%a: memref<16x32xf32>, %b: memref<32x64xf32>, %c: memref<16x64xf32>,
                 %x: memref<512x512xi8>, %y: memref<512x512xi8>, %z: memref<512x512xi32>) {
  linalg.matmul ins(%a, %b : memref<16x32xf32>, memref<32x64xf32>) outs(%c : memref<16x64xf32>)
  linalg.matmul ins(%x, %y : memref<512x512xi8>, memref<512x512xi8>) outs(%z : memref<512x512xi32>)
  return
}
