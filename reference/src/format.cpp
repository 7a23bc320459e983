#include "slm/format.h"

namespace slm {

bool is_known_dtype(std::uint32_t raw) {
  return raw == static_cast<std::uint32_t>(DType::F32) || raw == static_cast<std::uint32_t>(DType::Q4_0) ||
         raw == static_cast<std::uint32_t>(DType::Q8_0);
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "f32";
    case DType::Q4_0: return "q4_0";
    case DType::Q8_0: return "q8_0";
  }
  return "?";
}

bool parse_dtype(std::string_view name, DType& out) {
  for (DType d : {DType::F32, DType::Q4_0, DType::Q8_0}) {
    if (dtype_name(d) == name) {
      out = d;
      return true;
    }
  }
  return false;
}

std::uint64_t dtype_bytes(DType dtype, std::uint64_t elements) {
  switch (dtype) {
    case DType::F32: return elements * 4;
    case DType::Q8_0: return elements / kBlockSize * 34;  // fp16 scale + 32 x int8
    case DType::Q4_0: return elements / kBlockSize * 18;  // fp16 scale + 16 bytes of nibbles
  }
  return 0;
}

std::uint64_t TensorEntry::elements() const {
  std::uint64_t n = 1;
  for (std::uint32_t i = 0; i < rank; ++i) n *= dims[i];
  return n;
}

}  // namespace slm
