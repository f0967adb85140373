//===- Npz.h - numpy .npy / .npz arrays, read-only --------------*- C++ -*-===//
#ifndef DR1_COMPILER_NPZ_H
#define DR1_COMPILER_NPZ_H

#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dr1 {

struct NpyArray {
  std::string name;
  /// numpy's type string without the byte order: "f4", "f8", "i8", "b1", ...
  std::string dtype;
  std::vector<int64_t> shape;
  /// Little-endian, C order.
  std::vector<char> data;
};

/// The arrays of an .npz file (np.savez or np.savez_compressed), in the
/// archive's order; nullopt with `error` set (one line) otherwise.
std::optional<std::vector<NpyArray>> readNpz(llvm::StringRef path,
                                             std::string &error);

} // namespace dr1

#endif // DR1_COMPILER_NPZ_H
