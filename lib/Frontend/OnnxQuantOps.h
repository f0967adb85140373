//===- OnnxQuantOps.h - ONNX quantization operators -------------*- C++ -*-===//
#ifndef DR1_FRONTEND_ONNXQUANTOPS_H
#define DR1_FRONTEND_ONNXQUANTOPS_H

#include "Frontend/Importer.h"

namespace dr1::onnx_import {

/// QuantizeLinear, DequantizeLinear, QLinearConv, QLinearMatMul,
/// MatMulInteger, ConvInteger.
void addQuantizationHandlers(llvm::StringMap<Handler> &table);

/// A dr1.conv2d of `x` and `w` (and `bias`, if any) with the Conv node's
/// attributes (strides, pads or auto_pad, dilations, group); integer
/// convolutions pad with `padValue` (the input's zero point).
mlir::FailureOr<mlir::Value> buildConv(Importer &I, const onnx::NodeProto &n,
                                       mlir::Value x, mlir::Value w,
                                       mlir::Value bias, int64_t padValue = 0);

} // namespace dr1::onnx_import

#endif // DR1_FRONTEND_ONNXQUANTOPS_H
