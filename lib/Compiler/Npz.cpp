//===- Npz.cpp - numpy .npz archives, read-only ---------------------------===//
//
// An .npz is a zip archive of .npy files, stored (np.savez) or deflated
// (np.savez_compressed); numpy writes zip64 records. Only what numpy writes
// is accepted: little-endian, C-order arrays of fixed-size types.
//
//===----------------------------------------------------------------------===//
#include "Compiler/Npz.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>
#include <zlib.h>

using namespace dr1;

namespace {

uint64_t le(const char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

/// Parses one .npy file's bytes.
bool parseNpy(llvm::StringRef bytes, NpyArray &out, std::string &error) {
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY"))
    return error = "not an .npy array", false;
  int major = static_cast<unsigned char>(bytes[6]);
  size_t lenBytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + lenBytes)
    return error = "truncated .npy header", false;
  size_t headerLen = le(bytes.data() + 8, lenBytes);
  size_t start = 8 + lenBytes;
  if (bytes.size() < start + headerLen)
    return error = "truncated .npy header", false;
  llvm::StringRef header = bytes.substr(start, headerLen);
  auto field = [&](llvm::StringRef key) -> llvm::StringRef {
    size_t at = header.find(("'" + key + "'").str());
    if (at == llvm::StringRef::npos)
      return {};
    llvm::StringRef rest = header.substr(at + key.size() + 2).ltrim(" :");
    return rest;
  };
  llvm::StringRef descr = field("descr");
  if (!descr.consume_front("'"))
    return error = "unsupported .npy header (no descr)", false;
  descr = descr.take_until([](char c) { return c == '\''; });
  if (descr.consume_front(">"))
    return error = "big-endian arrays are not supported", false;
  if (!descr.consume_front("<"))
    descr.consume_front("|");
  out.dtype = descr.str();
  if (field("fortran_order").starts_with("True"))
    return error = "Fortran-order arrays are not supported", false;
  llvm::StringRef shape = field("shape");
  if (!shape.consume_front("("))
    return error = "unsupported .npy header (no shape)", false;
  shape = shape.take_until([](char c) { return c == ')'; });
  llvm::SmallVector<llvm::StringRef> dims;
  shape.split(dims, ',', -1, /*KeepEmpty=*/false);
  int64_t count = 1;
  for (llvm::StringRef d : dims) {
    d = d.trim();
    if (d.empty())
      continue;
    int64_t v;
    if (d.getAsInteger(10, v) || v < 0)
      return error = "bad .npy shape", false;
    out.shape.push_back(v);
    count *= v;
  }
  static const std::pair<const char *, int> sizes[] = {
      {"f4", 4}, {"f8", 8}, {"f2", 2}, {"i8", 8}, {"i4", 4},
      {"i2", 2}, {"i1", 1}, {"u1", 1}, {"b1", 1}};
  int elt = 0;
  for (auto [name, size] : sizes)
    if (out.dtype == name)
      elt = size;
  if (!elt)
    return error = "unsupported dtype '" + out.dtype + "'", false;
  llvm::StringRef data = bytes.substr(start + headerLen);
  if (data.size() != static_cast<size_t>(count) * elt)
    return error = "array data has " + std::to_string(data.size()) +
                   " bytes, its shape needs " + std::to_string(count * elt),
           false;
  out.data.assign(data.begin(), data.end());
  return true;
}

bool inflateRaw(llvm::StringRef in, size_t outSize, std::vector<char> &out) {
  out.resize(outSize);
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
    return false;
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  zs.avail_in = in.size();
  zs.next_out = reinterpret_cast<Bytef *>(out.data());
  zs.avail_out = outSize;
  int r = inflate(&zs, Z_FINISH);
  inflateEnd(&zs);
  return r == Z_STREAM_END && zs.total_out == outSize;
}

} // namespace

std::optional<std::vector<NpyArray>> dr1::readNpz(llvm::StringRef path,
                                                  std::string &error) {
  auto fail = [&](const llvm::Twine &why) {
    error = (path + ": " + why).str();
    return std::nullopt;
  };
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail("cannot read: " + buffer.getError().message());
  llvm::StringRef file = (*buffer)->getBuffer();
  // End of central directory: the last "PK\5\6" within 64 KiB of the end.
  size_t eocd = file.size() < 22 ? llvm::StringRef::npos
                                 : file.rfind(llvm::StringRef("PK\x05\x06", 4));
  if (eocd == llvm::StringRef::npos || file.size() - eocd < 22)
    return fail("not an .npz (zip) archive");
  uint64_t entries = le(file.data() + eocd + 10, 2);
  uint64_t cdOffset = le(file.data() + eocd + 16, 4);
  if (cdOffset == 0xffffffffu || entries == 0xffffu) {
    // zip64: the locator just before points at the zip64 end record.
    if (eocd < 20 || le(file.data() + eocd - 20, 4) != 0x07064b50)
      return fail("broken zip64 archive");
    uint64_t rec = le(file.data() + eocd - 20 + 8, 8);
    if (rec + 56 > file.size() || le(file.data() + rec, 4) != 0x06064b50)
      return fail("broken zip64 archive");
    entries = le(file.data() + rec + 32, 8);
    cdOffset = le(file.data() + rec + 48, 8);
  }
  std::vector<NpyArray> arrays;
  uint64_t at = cdOffset;
  for (uint64_t e = 0; e < entries; ++e) {
    if (at + 46 > file.size() || le(file.data() + at, 4) != 0x02014b50)
      return fail("broken zip central directory");
    const char *h = file.data() + at;
    unsigned method = le(h + 10, 2);
    uint64_t csize = le(h + 20, 4), usize = le(h + 24, 4);
    unsigned nameLen = le(h + 28, 2), extraLen = le(h + 30, 2),
             commentLen = le(h + 32, 2);
    uint64_t local = le(h + 42, 4);
    if (at + 46 + nameLen + extraLen > file.size())
      return fail("broken zip central directory");
    llvm::StringRef name(h + 46, nameLen);
    // zip64 extra field: the 64-bit values of the fields saturated above.
    llvm::StringRef extra(h + 46 + nameLen, extraLen);
    while (extra.size() >= 4) {
      unsigned id = le(extra.data(), 2), len = le(extra.data() + 2, 2);
      llvm::StringRef body = extra.substr(4, len);
      if (id == 1) {
        size_t k = 0;
        auto next = [&](uint64_t &v) {
          if (v == 0xffffffffu && k + 8 <= body.size()) {
            v = le(body.data() + k, 8);
            k += 8;
          }
        };
        next(usize);
        next(csize);
        next(local);
      }
      extra = extra.drop_front(std::min<size_t>(extra.size(), 4 + len));
    }
    at += 46 + nameLen + extraLen + commentLen;
    if (local + 30 > file.size() || le(file.data() + local, 4) != 0x04034b50)
      return fail("broken zip entry '" + name + "'");
    uint64_t dataAt = local + 30 + le(file.data() + local + 26, 2) +
                      le(file.data() + local + 28, 2);
    if (dataAt + csize > file.size())
      return fail("truncated zip entry '" + name + "'");
    llvm::StringRef stored = file.substr(dataAt, csize);
    std::vector<char> inflated;
    if (method == 8) {
      if (!inflateRaw(stored, usize, inflated))
        return fail("cannot inflate '" + name + "'");
      stored = llvm::StringRef(inflated.data(), inflated.size());
    } else if (method != 0) {
      return fail("zip entry '" + name + "' uses compression method " +
                  llvm::Twine(method) + " (numpy writes 0 or 8)");
    }
    NpyArray array;
    array.name = name.str();
    if (llvm::StringRef(array.name).ends_with(".npy"))
      array.name.resize(array.name.size() - 4);
    std::string why;
    if (!parseNpy(stored, array, why))
      return fail("array '" + array.name + "': " + why);
    arrays.push_back(std::move(array));
  }
  return arrays;
}
