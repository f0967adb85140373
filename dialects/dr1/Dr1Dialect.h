//===- Dr1Dialect.h - the dr1 dialect ---------------------------*- C++ -*-===//
#ifndef DR1_DIALECT_DR1DIALECT_H
#define DR1_DIALECT_DR1DIALECT_H

#include "mlir/IR/Dialect.h"

#include "dr1/Dr1Dialect.h.inc"

#endif // DR1_DIALECT_DR1DIALECT_H
