//===- Dr1Dialect.cpp - the dr1 dialect -----------------------------------===//
#include "dr1/Dr1Dialect.h"
#include "dr1/Dr1Ops.h"

using namespace mlir;
using namespace mlir::dr1;

#include "dr1/Dr1Dialect.cpp.inc"

void Dr1Dialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dr1/Dr1Ops.cpp.inc"
      >();
}

Operation *Dr1Dialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
