// Shared by the shim's .cpp files: the handle structs, dtype mapping and the
// error-translation macros. Not part of the C interface.
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "ctorch.h"

struct ht_tensor {
    at::Tensor t;
};
struct ht_generator {
    at::Generator g;
};
struct ht_tensor_list {
    std::vector<at::Tensor> items;
};

namespace ctorch {

void set_last_error(const char *message);

at::ScalarType to_scalar_type(int32_t dtype);
int32_t from_scalar_type(at::ScalarType type);

inline ht_tensor *wrap(at::Tensor t) { return new ht_tensor{std::move(t)}; }

// Required handles: a NULL here is a caller bug, reported as an error, not a crash.
inline const at::Tensor &tensor(const ht_tensor *h) {
    if (h == nullptr) throw std::invalid_argument("null tensor handle");
    return h->t;
}
// Optional handles become an undefined tensor, which libtorch reads as "absent".
inline at::Tensor optional_tensor(const ht_tensor *h) { return h ? h->t : at::Tensor(); }

inline c10::optional<at::Generator> generator(const ht_generator *g) {
    if (g == nullptr) return c10::nullopt;
    return g->g;
}

inline at::IntArrayRef dims(const int64_t *values, int64_t n) {
    if (n < 0) throw std::invalid_argument("negative dimension count");
    if (n > 0 && values == nullptr) throw std::invalid_argument("null dimension array");
    return at::IntArrayRef(values, static_cast<size_t>(n));
}

inline void require_out(const void *p) {
    if (p == nullptr) throw std::invalid_argument("null output pointer");
}

char *copy_string(const std::string &s);

inline at::MemoryFormat memory_format(int32_t format) {
    switch (format) {
    case HT_MEMORY_FORMAT_CONTIGUOUS: return at::MemoryFormat::Contiguous;
    case HT_MEMORY_FORMAT_CHANNELS_LAST: return at::MemoryFormat::ChannelsLast;
    default: throw std::invalid_argument("unknown memory format " + std::to_string(format));
    }
}

// Loads libtorch's CUDA part once (device.cpp); throws saying what is missing when
// no GPU can be used.
void require_cuda();

}  // namespace ctorch

// Every exported function body sits between HT_BEGIN and HT_END: C++ exceptions
// must never cross the C boundary (that would abort the Swift process).
// c10::Error's what() carries a C++ backtrace; the short form is what users need.
#define HT_BEGIN try {
#define HT_END                                                    \
    return 0;                                                     \
    }                                                             \
    catch (const c10::Error &e) {                                 \
        ctorch::set_last_error(e.what_without_backtrace());       \
        return 1;                                                 \
    }                                                             \
    catch (const std::exception &e) {                             \
        ctorch::set_last_error(e.what());                         \
        return 1;                                                 \
    }                                                             \
    catch (...) {                                                 \
        ctorch::set_last_error("unknown C++ exception in libtorch"); \
        return 1;                                                 \
    }

namespace ctorch {
// The libtorch device for a header device code (HT_DEVICE_*); CUDA is loaded on
// first use, and a missing GPU is an error naming what is missing (device.cpp).
at::Device device(int32_t device_type, int32_t index);
// The directory the running libtorch_cpu.so was loaded from.
std::string libtorch_directory();
}  // namespace ctorch
