//===- Dr1Dialect.cpp - the dr1 dialect -----------------------------------===//
#include "dr1/Dr1Dialect.h"
#include "dr1/Dr1Ops.h"

#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace mlir::dr1;

#include "dr1/Dr1Dialect.cpp.inc"

namespace {
/// dr1 ops are value semantics with no regions: any of them may be inlined
/// (a training step calls its gradient function, which calls nothing).
struct Dr1InlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Operation *, bool) const final {
    return true;
  }
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void Dr1Dialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dr1/Dr1Ops.cpp.inc"
      >();
  addInterfaces<Dr1InlinerInterface>();
}

Operation *Dr1Dialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
