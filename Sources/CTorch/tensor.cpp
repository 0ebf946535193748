// Runtime, generators and the tensor core: creation, data access, shapes,
// indexing, element-wise math, reductions and autograd.
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/version.h>

#include <cmath>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <cstdlib>
#include <sstream>
#include <thread>

#include "internal.h"

namespace ctorch {

static thread_local std::string last_error;

void set_last_error(const char *message) { last_error = message ? message : ""; }

char *copy_string(const std::string &s) {
    char *out = static_cast<char *>(std::malloc(s.size() + 1));
    if (out == nullptr) throw std::bad_alloc();
    std::memcpy(out, s.c_str(), s.size() + 1);
    return out;
}

at::ScalarType to_scalar_type(int32_t dtype) {
    switch (dtype) {
        case HT_FLOAT32: return at::kFloat;
        case HT_FLOAT64: return at::kDouble;
        case HT_INT64: return at::kLong;
        case HT_BOOL: return at::kBool;
        case HT_FLOAT16: return at::kHalf;
        case HT_BFLOAT16: return at::kBFloat16;
        case HT_INT32: return at::kInt;
        case HT_UINT8: return at::kByte;
    }
    throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
}

int32_t from_scalar_type(at::ScalarType type) {
    switch (type) {
        case at::kFloat: return HT_FLOAT32;
        case at::kDouble: return HT_FLOAT64;
        case at::kLong: return HT_INT64;
        case at::kBool: return HT_BOOL;
        case at::kHalf: return HT_FLOAT16;
        case at::kBFloat16: return HT_BFLOAT16;
        case at::kInt: return HT_INT32;
        case at::kByte: return HT_UINT8;
        default: break;
    }
    throw std::invalid_argument(std::string("unsupported dtype ") + c10::toString(type));
}

// libtorch sizes its intra-op pool from the number of *physical* cores, which is
// 1 on a 2-vCPU machine with hyper-threading. Set it to the logical core count
// when this library is loaded, before any thread runs libtorch code: OpenMP keeps
// the setting per thread, and threads that start later copy this value, so it has
// to be in place first. OMP_NUM_THREADS, when set, keeps libtorch's own choice.
static const bool default_threads_applied = [] {
    try {
        unsigned cores = std::thread::hardware_concurrency();
        if (std::getenv("OMP_NUM_THREADS") == nullptr && cores > 0) at::set_num_threads((int)cores);
    } catch (...) {
        // Keep libtorch's default rather than fail at load time.
    }
    return true;
}();

}  // namespace ctorch

using namespace ctorch;

extern "C" {

const char *ht_last_error(void) { return last_error.c_str(); }
void ht_string_free(char *s) { std::free(s); }

/* ---------------------------------------------------------------- runtime */
int32_t ht_runtime_set_num_threads(int32_t n) {
    HT_BEGIN
    if (n < 1) throw std::invalid_argument("thread count must be at least 1");
    at::set_num_threads(n);
    HT_END
}
int32_t ht_runtime_num_threads(int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = at::get_num_threads();
    HT_END
}
int32_t ht_runtime_set_num_interop_threads(int32_t n) {
    HT_BEGIN
    if (n < 1) throw std::invalid_argument("thread count must be at least 1");
    at::set_num_interop_threads(n);
    HT_END
}
int32_t ht_runtime_num_interop_threads(int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = at::get_num_interop_threads();
    HT_END
}
int32_t ht_runtime_manual_seed(uint64_t seed) {
    HT_BEGIN
    at::manual_seed(seed);
    HT_END
}
int32_t ht_runtime_version(char **out) {
    HT_BEGIN
    require_out(out);
    *out = copy_string(TORCH_VERSION);
    HT_END
}
int32_t ht_runtime_config(char **out) {
    HT_BEGIN
    require_out(out);
    *out = copy_string(at::show_config());
    HT_END
}
int32_t ht_runtime_parallel_info(char **out) {
    HT_BEGIN
    require_out(out);
    *out = copy_string(at::get_parallel_info());
    HT_END
}
int32_t ht_runtime_set_allocator_thresholds(int64_t mmap_threshold, int64_t trim_threshold) {
    HT_BEGIN
#ifdef __GLIBC__
    if (mmap_threshold > 0 && mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) != 1)
        throw std::invalid_argument("mallopt rejected mmap threshold " + std::to_string(mmap_threshold));
    if (trim_threshold > 0 && mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) != 1)
        throw std::invalid_argument("mallopt rejected trim threshold " + std::to_string(trim_threshold));
#else
    throw std::runtime_error("allocator thresholds are only supported with glibc");
#endif
    HT_END
}
int32_t ht_runtime_grad_enabled(int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = at::GradMode::is_enabled() ? 1 : 0;
    HT_END
}
int32_t ht_runtime_set_grad_enabled(int32_t enabled) {
    HT_BEGIN
    at::GradMode::set_enabled(enabled != 0);
    HT_END
}

/* -------------------------------------------------------------- generator */
int32_t ht_generator_new(uint64_t seed, ht_generator **out) {
    HT_BEGIN
    require_out(out);
    *out = new ht_generator{at::make_generator<at::CPUGeneratorImpl>(seed)};
    HT_END
}
void ht_generator_free(ht_generator *g) { delete g; }
int32_t ht_generator_set_seed(ht_generator *g, uint64_t seed) {
    HT_BEGIN
    if (!g) throw std::invalid_argument("null generator handle");
    std::lock_guard<std::mutex> lock(g->g.mutex());
    g->g.set_current_seed(seed);
    HT_END
}
int32_t ht_generator_seed(ht_generator *g, uint64_t *out) {
    HT_BEGIN
    if (!g) throw std::invalid_argument("null generator handle");
    require_out(out);
    *out = g->g.current_seed();
    HT_END
}

/* ------------------------------------------------------ tensor: lifecycle */
void ht_tensor_free(ht_tensor *t) { delete t; }

int32_t ht_tensor_share(ht_tensor *t, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t));
    HT_END
}

int32_t ht_tensor_from_data(const void *data, int32_t dtype, const int64_t *shape, int64_t ndim,
                            ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    auto options = at::TensorOptions().dtype(to_scalar_type(dtype));
    at::Tensor result = at::empty(dims(shape, ndim), options);
    size_t bytes = result.numel() * result.element_size();
    if (bytes > 0) {
        if (data == nullptr) throw std::invalid_argument("null data pointer");
        std::memcpy(result.data_ptr(), data, bytes);
    }
    *out = wrap(std::move(result));
    HT_END
}

int32_t ht_tensor_from_blob(void *data, int32_t dtype, const int64_t *shape, int64_t ndim,
                            void (*deleter)(void *), void *context, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    auto options = at::TensorOptions().dtype(to_scalar_type(dtype));
    auto release = [deleter, context](void *) {
        if (deleter) deleter(context);
    };
    *out = wrap(at::from_blob(data, dims(shape, ndim), release, options));
    HT_END
}

int32_t ht_tensor_defined(ht_tensor *t, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = tensor(t).defined() ? 1 : 0;
    HT_END
}
int32_t ht_tensor_dim(ht_tensor *t, int64_t *out) {
    HT_BEGIN
    require_out(out);
    *out = tensor(t).dim();
    HT_END
}
int32_t ht_tensor_sizes(ht_tensor *t, int64_t *out, int64_t capacity) {
    HT_BEGIN
    auto sizes = tensor(t).sizes();
    for (int64_t i = 0; i < capacity && i < (int64_t)sizes.size(); ++i) out[i] = sizes[i];
    HT_END
}
int32_t ht_tensor_strides(ht_tensor *t, int64_t *out, int64_t capacity) {
    HT_BEGIN
    auto strides = tensor(t).strides();
    for (int64_t i = 0; i < capacity && i < (int64_t)strides.size(); ++i) out[i] = strides[i];
    HT_END
}
int32_t ht_tensor_numel(ht_tensor *t, int64_t *out) {
    HT_BEGIN
    require_out(out);
    *out = tensor(t).numel();
    HT_END
}
int32_t ht_tensor_dtype(ht_tensor *t, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = from_scalar_type(tensor(t).scalar_type());
    HT_END
}
int32_t ht_tensor_is_contiguous(ht_tensor *t, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = tensor(t).is_contiguous() ? 1 : 0;
    HT_END
}
int32_t ht_tensor_data_ptr(ht_tensor *t, void **out) {
    HT_BEGIN
    require_out(out);
    const at::Tensor &x = tensor(t);
    if (!x.is_contiguous()) throw std::invalid_argument("tensor is not contiguous");
    if (!x.is_cpu()) throw std::invalid_argument("tensor is on " + x.device().str() + ", not the CPU");
    *out = x.data_ptr();
    HT_END
}
int32_t ht_tensor_copy_out(ht_tensor *t, int32_t dtype, void *dst, int64_t count) {
    HT_BEGIN
    // Read through a CPU copy when the tensor is on a GPU (no copy on the CPU).
    at::Tensor x = tensor(t).detach().to(at::kCPU, to_scalar_type(dtype)).contiguous();
    if (x.numel() != count)
        throw std::invalid_argument("destination holds " + std::to_string(count) +
                                    " elements, tensor has " + std::to_string(x.numel()));
    if (count > 0) std::memcpy(dst, x.data_ptr(), count * x.element_size());
    HT_END
}
int32_t ht_tensor_item_double(ht_tensor *t, double *out) {
    HT_BEGIN
    require_out(out);
    *out = tensor(t).item<double>();
    HT_END
}
int32_t ht_tensor_item_int64(ht_tensor *t, int64_t *out) {
    HT_BEGIN
    require_out(out);
    *out = tensor(t).item<int64_t>();
    HT_END
}
int32_t ht_tensor_to_string(ht_tensor *t, char **out) {
    HT_BEGIN
    require_out(out);
    std::ostringstream s;
    s << tensor(t);
    *out = copy_string(s.str());
    HT_END
}

/* ------------------------------------------------------- tensor: creation */
int32_t ht_tensor_full(const int64_t *shape, int64_t ndim, double value, int32_t dtype,
                       ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::full(dims(shape, ndim), value, at::TensorOptions().dtype(to_scalar_type(dtype))));
    HT_END
}
int32_t ht_tensor_arange(double start, double end, double step, int32_t dtype, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::arange(start, end, step, at::TensorOptions().dtype(to_scalar_type(dtype))));
    HT_END
}
int32_t ht_tensor_linspace(double start, double end, int64_t steps, int32_t dtype, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::linspace(start, end, steps, at::TensorOptions().dtype(to_scalar_type(dtype))));
    HT_END
}
int32_t ht_tensor_eye(int64_t n, int64_t m, int32_t dtype, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::eye(n, m, at::TensorOptions().dtype(to_scalar_type(dtype))));
    HT_END
}
int32_t ht_tensor_rand(const int64_t *shape, int64_t ndim, int32_t dtype, ht_generator *g,
                       ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::rand(dims(shape, ndim), generator(g), at::TensorOptions().dtype(to_scalar_type(dtype))));
    HT_END
}
int32_t ht_tensor_randn(const int64_t *shape, int64_t ndim, int32_t dtype, ht_generator *g,
                        ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::randn(dims(shape, ndim), generator(g), at::TensorOptions().dtype(to_scalar_type(dtype))));
    HT_END
}
int32_t ht_tensor_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim,
                          ht_generator *g, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::randint(low, high, dims(shape, ndim), generator(g), at::TensorOptions().dtype(at::kLong)));
    HT_END
}
int32_t ht_tensor_randperm(int64_t n, ht_generator *g, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::randperm(n, generator(g), at::TensorOptions().dtype(at::kLong)));
    HT_END
}
int32_t ht_tensor_normal_(ht_tensor *t, double mean, double std, ht_generator *g) {
    HT_BEGIN
    at::NoGradGuard no_grad;
    tensor(t).normal_(mean, std, generator(g));
    HT_END
}
int32_t ht_tensor_uniform_(ht_tensor *t, double low, double high, ht_generator *g) {
    HT_BEGIN
    at::NoGradGuard no_grad;
    tensor(t).uniform_(low, high, generator(g));
    HT_END
}

/* ---------------------------------------------- tensor: conversion, shape */
#define HT_UNARY_FN(name, expr)                          \
    int32_t name(ht_tensor *t, ht_tensor **out) {        \
        HT_BEGIN                                         \
        require_out(out);                                \
        const at::Tensor &x = tensor(t);                 \
        *out = wrap(expr);                               \
        HT_END                                           \
    }

int32_t ht_tensor_to_dtype(ht_tensor *t, int32_t dtype, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).to(to_scalar_type(dtype)));
    HT_END
}
HT_UNARY_FN(ht_tensor_contiguous, x.contiguous())
int32_t ht_tensor_to_memory_format(ht_tensor *t, int32_t format, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).contiguous(memory_format(format)));
    HT_END
}
int32_t ht_tensor_is_contiguous_format(ht_tensor *t, int32_t format, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = tensor(t).is_contiguous(memory_format(format)) ? 1 : 0;
    HT_END
}
HT_UNARY_FN(ht_tensor_clone, x.clone())
HT_UNARY_FN(ht_tensor_detach, x.detach())

int32_t ht_tensor_reshape(ht_tensor *t, const int64_t *shape, int64_t ndim, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).reshape(dims(shape, ndim)));
    HT_END
}
int32_t ht_tensor_view(ht_tensor *t, const int64_t *shape, int64_t ndim, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).view(dims(shape, ndim)));
    HT_END
}
int32_t ht_tensor_expand(ht_tensor *t, const int64_t *shape, int64_t ndim, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).expand(dims(shape, ndim)));
    HT_END
}
int32_t ht_tensor_permute(ht_tensor *t, const int64_t *d, int64_t ndim, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).permute(dims(d, ndim)));
    HT_END
}
int32_t ht_tensor_transpose(ht_tensor *t, int64_t d0, int64_t d1, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).transpose(d0, d1));
    HT_END
}
int32_t ht_tensor_squeeze(ht_tensor *t, int64_t dim, int32_t all, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(all ? tensor(t).squeeze() : tensor(t).squeeze(dim));
    HT_END
}
int32_t ht_tensor_unsqueeze(ht_tensor *t, int64_t dim, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).unsqueeze(dim));
    HT_END
}
int32_t ht_tensor_flatten(ht_tensor *t, int64_t start, int64_t end, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).flatten(start, end));
    HT_END
}

/* ------------------------------------------------------- tensor: indexing */
int32_t ht_tensor_select(ht_tensor *t, int64_t dim, int64_t index, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).select(dim, index));
    HT_END
}
int32_t ht_tensor_slice(ht_tensor *t, int64_t dim, int64_t start, int64_t end, int64_t step,
                        ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).slice(dim, start, end, step));
    HT_END
}
int32_t ht_tensor_index_select(ht_tensor *t, int64_t dim, ht_tensor *index, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    // Indices made from Swift arrays are CPU tensors: they follow the indexed tensor.
    *out = wrap(tensor(t).index_select(dim, tensor(index).to(tensor(t).device())));
    HT_END
}
int32_t ht_tensor_gather(ht_tensor *t, int64_t dim, ht_tensor *index, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).gather(dim, tensor(index).to(tensor(t).device())));
    HT_END
}
int32_t ht_tensor_masked_select(ht_tensor *t, ht_tensor *mask, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).masked_select(tensor(mask)));
    HT_END
}
int32_t ht_tensor_masked_fill(ht_tensor *t, ht_tensor *mask, double value, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).masked_fill(tensor(mask), value));
    HT_END
}
int32_t ht_tensor_where(ht_tensor *cond, ht_tensor *a, ht_tensor *b, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::where(tensor(cond), tensor(a), tensor(b)));
    HT_END
}
static std::vector<at::Tensor> tensor_vector(ht_tensor *const *ts, int64_t n) {
    if (n > 0 && ts == nullptr) throw std::invalid_argument("null tensor array");
    std::vector<at::Tensor> v;
    v.reserve(n);
    for (int64_t i = 0; i < n; ++i) v.push_back(tensor(ts[i]));
    return v;
}
int32_t ht_tensor_cat(ht_tensor *const *ts, int64_t n, int64_t dim, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::cat(tensor_vector(ts, n), dim));
    HT_END
}
int32_t ht_tensor_stack(ht_tensor *const *ts, int64_t n, int64_t dim, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::stack(tensor_vector(ts, n), dim));
    HT_END
}
int32_t ht_tensor_copy_(ht_tensor *dst, ht_tensor *src) {
    HT_BEGIN
    tensor(dst).copy_(tensor(src));
    HT_END
}
int32_t ht_tensor_fill_(ht_tensor *t, double value) {
    HT_BEGIN
    tensor(t).fill_(value);
    HT_END
}

/* --------------------------------------------------- tensor: element-wise */
int32_t ht_tensor_unary(int32_t op, ht_tensor *t, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    const at::Tensor &x = tensor(t);
    at::Tensor r;
    switch (op) {
        case HT_NEG: r = at::neg(x); break;
        case HT_ABS: r = at::abs(x); break;
        case HT_EXP: r = at::exp(x); break;
        case HT_LOG: r = at::log(x); break;
        case HT_SQRT: r = at::sqrt(x); break;
        case HT_RSQRT: r = at::rsqrt(x); break;
        case HT_SIN: r = at::sin(x); break;
        case HT_COS: r = at::cos(x); break;
        case HT_TANH: r = at::tanh(x); break;
        case HT_SIGMOID: r = at::sigmoid(x); break;
        case HT_RELU: r = at::relu(x); break;
        case HT_GELU: r = at::gelu(x, "none"); break;
        case HT_GELU_TANH: r = at::gelu(x, "tanh"); break;
        case HT_SQUARE: r = at::square(x); break;
        case HT_RECIPROCAL: r = at::reciprocal(x); break;
        case HT_FLOOR: r = at::floor(x); break;
        case HT_CEIL: r = at::ceil(x); break;
        case HT_ROUND: r = at::round(x); break;
        case HT_SIGN: r = at::sign(x); break;
        case HT_LOG1P: r = at::log1p(x); break;
        case HT_EXPM1: r = at::expm1(x); break;
        case HT_LOGICAL_NOT: r = at::logical_not(x); break;
        case HT_SILU: r = at::silu(x); break;
        case HT_ISNAN: r = at::isnan(x); break;
        default: throw std::invalid_argument("unknown unary op " + std::to_string(op));
    }
    *out = wrap(std::move(r));
    HT_END
}

static at::Tensor binary_op(int32_t op, const at::Tensor &a, const at::Tensor &b) {
    switch (op) {
        case HT_ADD: return at::add(a, b);
        case HT_SUB: return at::sub(a, b);
        case HT_MUL: return at::mul(a, b);
        case HT_DIV: return at::div(a, b);
        case HT_POW: return at::pow(a, b);
        case HT_MAXIMUM: return at::maximum(a, b);
        case HT_MINIMUM: return at::minimum(a, b);
        case HT_REMAINDER: return at::remainder(a, b);
        case HT_EQ: return at::eq(a, b);
        case HT_NE: return at::ne(a, b);
        case HT_LT: return at::lt(a, b);
        case HT_LE: return at::le(a, b);
        case HT_GT: return at::gt(a, b);
        case HT_GE: return at::ge(a, b);
        case HT_LOGICAL_AND: return at::logical_and(a, b);
        case HT_LOGICAL_OR: return at::logical_or(a, b);
    }
    throw std::invalid_argument("unknown binary op " + std::to_string(op));
}

// A 0-dim tensor flagged as a "wrapped number" takes part in type promotion the
// way a Python number does (it never widens the other operand's float type).
static at::Tensor wrapped_scalar(double s, const at::Tensor &other) {
    bool integral = std::isfinite(s) && std::floor(s) == s &&
                    (at::isIntegralType(other.scalar_type(), /*includeBool=*/true));
    at::Tensor w = integral ? at::scalar_tensor(static_cast<int64_t>(s), at::kLong)
                            : at::scalar_tensor(s, at::kDouble);
    w.unsafeGetTensorImpl()->set_wrapped_number(true);
    return w;
}

int32_t ht_tensor_binary(int32_t op, ht_tensor *a, ht_tensor *b, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(binary_op(op, tensor(a), tensor(b)));
    HT_END
}
int32_t ht_tensor_binary_scalar(int32_t op, ht_tensor *a, double s, int32_t scalar_first,
                                ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    const at::Tensor &x = tensor(a);
    at::Tensor w = wrapped_scalar(s, x);
    *out = wrap(scalar_first ? binary_op(op, w, x) : binary_op(op, x, w));
    HT_END
}
int32_t ht_tensor_binary_(int32_t op, ht_tensor *a, ht_tensor *b) {
    HT_BEGIN
    const at::Tensor &x = tensor(a);
    const at::Tensor &y = tensor(b);
    switch (op) {
        case HT_ADD: x.add_(y); break;
        case HT_SUB: x.sub_(y); break;
        case HT_MUL: x.mul_(y); break;
        case HT_DIV: x.div_(y); break;
        default: throw std::invalid_argument("unsupported in-place op " + std::to_string(op));
    }
    HT_END
}
int32_t ht_tensor_binary_scalar_(int32_t op, ht_tensor *a, double s) {
    HT_BEGIN
    const at::Tensor &x = tensor(a);
    switch (op) {
        case HT_ADD: x.add_(s); break;
        case HT_SUB: x.sub_(s); break;
        case HT_MUL: x.mul_(s); break;
        case HT_DIV: x.div_(s); break;
        default: throw std::invalid_argument("unsupported in-place op " + std::to_string(op));
    }
    HT_END
}
int32_t ht_tensor_clamp(ht_tensor *t, double min, double max, int32_t has_min, int32_t has_max,
                        ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    c10::optional<at::Scalar> lo = has_min ? c10::optional<at::Scalar>(min) : c10::nullopt;
    c10::optional<at::Scalar> hi = has_max ? c10::optional<at::Scalar>(max) : c10::nullopt;
    *out = wrap(at::clamp(tensor(t), lo, hi));
    HT_END
}
int32_t ht_tensor_matmul(ht_tensor *a, ht_tensor *b, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::matmul(tensor(a), tensor(b)));
    HT_END
}

/* ----------------------------------------------------- tensor: reductions */
int32_t ht_tensor_reduce(int32_t op, ht_tensor *t, const int64_t *d, int64_t ndims,
                         int32_t keepdim, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    const at::Tensor &x = tensor(t);
    bool keep = keepdim != 0;
    std::vector<int64_t> all;
    if (ndims == 0) {
        for (int64_t i = 0; i < x.dim(); ++i) all.push_back(i);
    } else {
        auto given = dims(d, ndims);
        all.assign(given.begin(), given.end());
    }
    at::Tensor r;
    auto single = [&](const char *name) -> c10::optional<int64_t> {
        if (ndims > 1) throw std::invalid_argument(std::string(name) + " takes at most one dimension");
        return ndims == 1 ? c10::optional<int64_t>(d[0]) : c10::nullopt;
    };
    switch (op) {
        case HT_SUM: r = ndims == 0 && !keep ? at::sum(x) : at::sum(x, all, keep); break;
        case HT_MEAN: r = ndims == 0 && !keep ? at::mean(x) : at::mean(x, all, keep); break;
        case HT_PROD: {
            auto dim = single("prod");
            r = dim ? at::prod(x, *dim, keep) : at::prod(x);
            break;
        }
        case HT_AMAX: r = at::amax(x, all, keep); break;
        case HT_AMIN: r = at::amin(x, all, keep); break;
        case HT_ARGMAX: r = at::argmax(x, single("argmax"), keep); break;
        case HT_ARGMIN: r = at::argmin(x, single("argmin"), keep); break;
        case HT_STD: r = at::std(x, at::OptionalIntArrayRef(all), /*unbiased=*/true, keep); break;
        case HT_VAR: r = at::var(x, at::OptionalIntArrayRef(all), /*unbiased=*/true, keep); break;
        case HT_LOGSUMEXP: r = at::logsumexp(x, all, keep); break;
        case HT_ALL: {
            auto dim = single("all");
            r = dim ? at::all(x, *dim, keep) : at::all(x);
            break;
        }
        case HT_ANY: {
            auto dim = single("any");
            r = dim ? at::any(x, *dim, keep) : at::any(x);
            break;
        }
        case HT_NORM: r = at::linalg_vector_norm(x, 2, at::OptionalIntArrayRef(all), keep); break;
        default: throw std::invalid_argument("unknown reduction " + std::to_string(op));
    }
    *out = wrap(std::move(r));
    HT_END
}
int32_t ht_tensor_softmax(ht_tensor *t, int64_t dim, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::softmax(tensor(t), dim));
    HT_END
}
int32_t ht_tensor_log_softmax(ht_tensor *t, int64_t dim, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::log_softmax(tensor(t), dim));
    HT_END
}
int32_t ht_tensor_sort(ht_tensor *t, int64_t dim, int32_t descending, ht_tensor **values,
                       ht_tensor **indices) {
    HT_BEGIN
    require_out(values);
    require_out(indices);
    auto r = at::sort(tensor(t), dim, descending != 0);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));
    HT_END
}
int32_t ht_tensor_topk(ht_tensor *t, int64_t k, int64_t dim, int32_t largest, ht_tensor **values,
                       ht_tensor **indices) {
    HT_BEGIN
    require_out(values);
    require_out(indices);
    auto r = at::topk(tensor(t), k, dim, largest != 0, /*sorted=*/true);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));
    HT_END
}
int32_t ht_tensor_equal(ht_tensor *a, ht_tensor *b, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = at::equal(tensor(a), tensor(b)) ? 1 : 0;
    HT_END
}
int32_t ht_tensor_allclose(ht_tensor *a, ht_tensor *b, double rtol, double atol, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = at::allclose(tensor(a), tensor(b), rtol, atol) ? 1 : 0;
    HT_END
}

/* --------------------------------------------------------------- autograd */
int32_t ht_tensor_requires_grad(ht_tensor *t, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = tensor(t).requires_grad() ? 1 : 0;
    HT_END
}
int32_t ht_tensor_is_inference(ht_tensor *t, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = tensor(t).is_inference() ? 1 : 0;
    HT_END
}
int32_t ht_tensor_has_grad_fn(ht_tensor *t, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = tensor(t).grad_fn() != nullptr ? 1 : 0;
    HT_END
}
int32_t ht_tensor_set_requires_grad(ht_tensor *t, int32_t on) {
    HT_BEGIN
    tensor(t).set_requires_grad(on != 0);
    HT_END
}
int32_t ht_tensor_is_leaf(ht_tensor *t, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = tensor(t).is_leaf() ? 1 : 0;
    HT_END
}
int32_t ht_tensor_grad(ht_tensor *t, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    const at::Tensor &g = tensor(t).grad();
    *out = g.defined() ? wrap(g) : nullptr;
    HT_END
}
int32_t ht_tensor_set_grad(ht_tensor *t, ht_tensor *g) {
    HT_BEGIN
    tensor(t).mutable_grad() = optional_tensor(g);
    HT_END
}
int32_t ht_tensor_backward(ht_tensor *t, ht_tensor *grad, int32_t retain_graph) {
    HT_BEGIN
    tensor(t).backward(optional_tensor(grad), c10::optional<bool>(retain_graph != 0));
    HT_END
}

}  // extern "C"
