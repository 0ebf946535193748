/*
 * ctorch.h: a small extern "C" shim over libtorch's C++ API.
 *
 * Conventions (every function follows them, so the Swift side can be uniform):
 * - Objects are opaque handles. Each handle owns one reference to a libtorch
 *   object and is released with its *_free function. Handles are never shared:
 *   a function returning a handle returns a fresh one the caller owns.
 * - Every fallible function returns int32_t: 0 on success, non-zero on failure.
 *   Results are written through out-parameters, only on success.
 * - On failure, ht_last_error() returns the C++ exception's message. It is
 *   thread-local and valid until the next failing call on the same thread, so
 *   callers copy it at once.
 * - Optional tensor arguments are passed as NULL.
 * - Strings returned as char* are malloc'd; release them with ht_string_free.
 */
#ifndef CTORCH_H
#define CTORCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ht_tensor ht_tensor;
typedef struct ht_tensor_list ht_tensor_list;
typedef struct ht_generator ht_generator;
typedef struct ht_module ht_module;
typedef struct ht_value ht_value;
typedef struct ht_aoti_model ht_aoti_model;

/* Devices. The numbers are this header's own. */
enum {
    HT_DEVICE_CPU = 0,
    HT_DEVICE_CUDA = 1,
};

/* Element types. The numbers are this header's own, not libtorch's. */
enum {
    HT_FLOAT32 = 0,
    HT_FLOAT64 = 1,
    HT_INT64 = 2,
    HT_BOOL = 3,
    HT_FLOAT16 = 4,
    HT_BFLOAT16 = 5,
    HT_INT32 = 6,
    HT_UINT8 = 7,
};

/* ---------------------------------------------------------------- errors */
const char *ht_last_error(void);
void ht_string_free(char *s);

/* --------------------------------------------------------------- runtime */
int32_t ht_runtime_set_num_threads(int32_t n);
int32_t ht_runtime_num_threads(int32_t *out);
int32_t ht_runtime_set_num_interop_threads(int32_t n);
int32_t ht_runtime_num_interop_threads(int32_t *out);
int32_t ht_runtime_manual_seed(uint64_t seed);
/* "1.13.0"-style version of the libtorch headers compiled against. */
int32_t ht_runtime_version(char **out);
/* at::show_config(): compiler, BLAS, parallel backend, CPU capability. */
int32_t ht_runtime_config(char **out);
int32_t ht_runtime_parallel_info(char **out);
/* glibc's mallopt(M_MMAP_THRESHOLD / M_TRIM_THRESHOLD); a value <= 0 leaves that
   setting alone. Fails where the C library is not glibc. */
int32_t ht_runtime_set_allocator_thresholds(int64_t mmap_threshold, int64_t trim_threshold);
int32_t ht_runtime_grad_enabled(int32_t *out);
int32_t ht_runtime_set_grad_enabled(int32_t enabled);

/* ------------------------------------------------------------- generator */
int32_t ht_generator_new(uint64_t seed, ht_generator **out);
void ht_generator_free(ht_generator *g);
int32_t ht_generator_set_seed(ht_generator *g, uint64_t seed);
int32_t ht_generator_seed(ht_generator *g, uint64_t *out);

/* ---------------------------------------------------- tensor: lifecycle */
void ht_tensor_free(ht_tensor *t);
/* A new handle to the same tensor (shares storage and autograd identity). */
int32_t ht_tensor_share(ht_tensor *t, ht_tensor **out);
/* Copies `data` (contiguous, row-major) into a new tensor. */
int32_t ht_tensor_from_data(const void *data, int32_t dtype, const int64_t *shape,
                            int64_t ndim, ht_tensor **out);
/* Wraps caller memory without copying. `deleter(context)` runs when libtorch
   releases the storage (possibly on another thread). */
int32_t ht_tensor_from_blob(void *data, int32_t dtype, const int64_t *shape, int64_t ndim,
                            void (*deleter)(void *), void *context, ht_tensor **out);
int32_t ht_tensor_defined(ht_tensor *t, int32_t *out);
int32_t ht_tensor_dim(ht_tensor *t, int64_t *out);
/* Writes min(dim, capacity) sizes. */
int32_t ht_tensor_sizes(ht_tensor *t, int64_t *out, int64_t capacity);
int32_t ht_tensor_strides(ht_tensor *t, int64_t *out, int64_t capacity);
int32_t ht_tensor_numel(ht_tensor *t, int64_t *out);
int32_t ht_tensor_dtype(ht_tensor *t, int32_t *out);
int32_t ht_tensor_is_contiguous(ht_tensor *t, int32_t *out);
/* Pointer to the first element; fails unless the tensor is contiguous. */
int32_t ht_tensor_data_ptr(ht_tensor *t, void **out);
/* Converts to `dtype`, makes contiguous and copies `count` elements into dst;
   fails unless count == numel. */
int32_t ht_tensor_copy_out(ht_tensor *t, int32_t dtype, void *dst, int64_t count);
int32_t ht_tensor_item_double(ht_tensor *t, double *out);
int32_t ht_tensor_item_int64(ht_tensor *t, int64_t *out);
int32_t ht_tensor_to_string(ht_tensor *t, char **out);

/* ---------------------------------------------------- tensor: creation */
int32_t ht_tensor_full(const int64_t *shape, int64_t ndim, double value, int32_t dtype,
                       ht_tensor **out);
int32_t ht_tensor_arange(double start, double end, double step, int32_t dtype, ht_tensor **out);
int32_t ht_tensor_linspace(double start, double end, int64_t steps, int32_t dtype,
                           ht_tensor **out);
int32_t ht_tensor_eye(int64_t n, int64_t m, int32_t dtype, ht_tensor **out);
/* Random creation; `generator` may be NULL (the global default generator). */
int32_t ht_tensor_rand(const int64_t *shape, int64_t ndim, int32_t dtype, ht_generator *g,
                       ht_tensor **out);
int32_t ht_tensor_randn(const int64_t *shape, int64_t ndim, int32_t dtype, ht_generator *g,
                        ht_tensor **out);
int32_t ht_tensor_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim,
                          ht_generator *g, ht_tensor **out);
int32_t ht_tensor_randperm(int64_t n, ht_generator *g, ht_tensor **out);
/* In place: fills with N(mean, std) or U(low, high). */
int32_t ht_tensor_normal_(ht_tensor *t, double mean, double std, ht_generator *g);
int32_t ht_tensor_uniform_(ht_tensor *t, double low, double high, ht_generator *g);

/* ------------------------------------------- tensor: conversion, shape */
int32_t ht_tensor_to_dtype(ht_tensor *t, int32_t dtype, ht_tensor **out);
int32_t ht_tensor_contiguous(ht_tensor *t, ht_tensor **out);
enum { HT_MEMORY_FORMAT_CONTIGUOUS = 0, HT_MEMORY_FORMAT_CHANNELS_LAST = 1 };
/* contiguous(memory_format): channels-last needs rank 4. */
int32_t ht_tensor_to_memory_format(ht_tensor *t, int32_t format, ht_tensor **out);
int32_t ht_tensor_is_contiguous_format(ht_tensor *t, int32_t format, int32_t *out);
int32_t ht_tensor_clone(ht_tensor *t, ht_tensor **out);
int32_t ht_tensor_reshape(ht_tensor *t, const int64_t *shape, int64_t ndim, ht_tensor **out);
int32_t ht_tensor_view(ht_tensor *t, const int64_t *shape, int64_t ndim, ht_tensor **out);
int32_t ht_tensor_expand(ht_tensor *t, const int64_t *shape, int64_t ndim, ht_tensor **out);
int32_t ht_tensor_permute(ht_tensor *t, const int64_t *dims, int64_t ndim, ht_tensor **out);
int32_t ht_tensor_transpose(ht_tensor *t, int64_t d0, int64_t d1, ht_tensor **out);
int32_t ht_tensor_squeeze(ht_tensor *t, int64_t dim, int32_t all, ht_tensor **out);
int32_t ht_tensor_unsqueeze(ht_tensor *t, int64_t dim, ht_tensor **out);
int32_t ht_tensor_flatten(ht_tensor *t, int64_t start, int64_t end, ht_tensor **out);

/* ---------------------------------------------- tensor: indexing */
int32_t ht_tensor_select(ht_tensor *t, int64_t dim, int64_t index, ht_tensor **out);
int32_t ht_tensor_slice(ht_tensor *t, int64_t dim, int64_t start, int64_t end, int64_t step,
                        ht_tensor **out);
int32_t ht_tensor_index_select(ht_tensor *t, int64_t dim, ht_tensor *index, ht_tensor **out);
int32_t ht_tensor_gather(ht_tensor *t, int64_t dim, ht_tensor *index, ht_tensor **out);
int32_t ht_tensor_masked_select(ht_tensor *t, ht_tensor *mask, ht_tensor **out);
int32_t ht_tensor_masked_fill(ht_tensor *t, ht_tensor *mask, double value, ht_tensor **out);
int32_t ht_tensor_where(ht_tensor *cond, ht_tensor *a, ht_tensor *b, ht_tensor **out);
int32_t ht_tensor_cat(ht_tensor *const *ts, int64_t n, int64_t dim, ht_tensor **out);
int32_t ht_tensor_stack(ht_tensor *const *ts, int64_t n, int64_t dim, ht_tensor **out);
/* In place: copies src (broadcast, converted) into dst; dst may be a view. */
int32_t ht_tensor_copy_(ht_tensor *dst, ht_tensor *src);
int32_t ht_tensor_fill_(ht_tensor *t, double value);

/* ---------------------------------------------- tensor: element-wise */
enum {
    HT_NEG = 0, HT_ABS, HT_EXP, HT_LOG, HT_SQRT, HT_RSQRT, HT_SIN, HT_COS, HT_TANH,
    HT_SIGMOID, HT_RELU, HT_GELU, HT_GELU_TANH, HT_SQUARE, HT_RECIPROCAL, HT_FLOOR,
    HT_CEIL, HT_ROUND, HT_SIGN, HT_LOG1P, HT_EXPM1, HT_LOGICAL_NOT, HT_SILU, HT_ISNAN,
};
int32_t ht_tensor_unary(int32_t op, ht_tensor *t, ht_tensor **out);

enum {
    HT_ADD = 0, HT_SUB, HT_MUL, HT_DIV, HT_POW, HT_MAXIMUM, HT_MINIMUM, HT_REMAINDER,
    HT_EQ, HT_NE, HT_LT, HT_LE, HT_GT, HT_GE, HT_LOGICAL_AND, HT_LOGICAL_OR,
};
int32_t ht_tensor_binary(int32_t op, ht_tensor *a, ht_tensor *b, ht_tensor **out);
/* `a op s` (or `s op a` when scalar_first); the scalar follows Python-number
   type promotion: float32 tensor * 2.5 stays float32. */
int32_t ht_tensor_binary_scalar(int32_t op, ht_tensor *a, double s, int32_t scalar_first,
                                ht_tensor **out);
/* In place: a op= b (HT_ADD, HT_SUB, HT_MUL, HT_DIV only). */
int32_t ht_tensor_binary_(int32_t op, ht_tensor *a, ht_tensor *b);
int32_t ht_tensor_binary_scalar_(int32_t op, ht_tensor *a, double s);
int32_t ht_tensor_clamp(ht_tensor *t, double min, double max, int32_t has_min, int32_t has_max,
                        ht_tensor **out);
int32_t ht_tensor_matmul(ht_tensor *a, ht_tensor *b, ht_tensor **out);

/* ---------------------------------------------- tensor: reductions */
enum {
    HT_SUM = 0, HT_MEAN, HT_PROD, HT_AMAX, HT_AMIN, HT_ARGMAX, HT_ARGMIN, HT_STD, HT_VAR,
    HT_LOGSUMEXP, HT_ALL, HT_ANY, HT_NORM,
};
/* ndims == 0 reduces over every dimension (ARGMAX/ARGMIN take at most one).
   STD/VAR use Bessel's correction (unbiased), as torch.std does. */
int32_t ht_tensor_reduce(int32_t op, ht_tensor *t, const int64_t *dims, int64_t ndims,
                         int32_t keepdim, ht_tensor **out);
int32_t ht_tensor_softmax(ht_tensor *t, int64_t dim, ht_tensor **out);
int32_t ht_tensor_log_softmax(ht_tensor *t, int64_t dim, ht_tensor **out);
int32_t ht_tensor_sort(ht_tensor *t, int64_t dim, int32_t descending, ht_tensor **values,
                       ht_tensor **indices);
int32_t ht_tensor_topk(ht_tensor *t, int64_t k, int64_t dim, int32_t largest,
                       ht_tensor **values, ht_tensor **indices);
int32_t ht_tensor_equal(ht_tensor *a, ht_tensor *b, int32_t *out);
int32_t ht_tensor_allclose(ht_tensor *a, ht_tensor *b, double rtol, double atol, int32_t *out);

/* ------------------------------------------------------------ autograd */
int32_t ht_tensor_requires_grad(ht_tensor *t, int32_t *out);
int32_t ht_tensor_set_requires_grad(ht_tensor *t, int32_t on);
int32_t ht_tensor_is_leaf(ht_tensor *t, int32_t *out);
/* Whether the tensor was made under c10::InferenceMode. */
int32_t ht_tensor_is_inference(ht_tensor *t, int32_t *out);
/* Whether the tensor was made by a recorded operation (has a grad_fn). */
int32_t ht_tensor_has_grad_fn(ht_tensor *t, int32_t *out);
/* *out is NULL when the tensor has no gradient. */
int32_t ht_tensor_grad(ht_tensor *t, ht_tensor **out);
/* Replaces the gradient; g may be NULL to drop it. */
int32_t ht_tensor_set_grad(ht_tensor *t, ht_tensor *g);
/* grad may be NULL for a scalar output. */
int32_t ht_tensor_backward(ht_tensor *t, ht_tensor *grad, int32_t retain_graph);
int32_t ht_tensor_detach(ht_tensor *t, ht_tensor **out);

/* ---------------------------------------------------- functional layers */
int32_t ht_nn_linear(ht_tensor *x, ht_tensor *w, ht_tensor *b, ht_tensor **out);
int32_t ht_nn_conv2d(ht_tensor *x, ht_tensor *w, ht_tensor *b, const int64_t *stride,
                     const int64_t *padding, const int64_t *dilation, int64_t groups,
                     ht_tensor **out);
/* running_mean/var may be NULL; in training they are updated in place. */
int32_t ht_nn_batch_norm(ht_tensor *x, ht_tensor *w, ht_tensor *b, ht_tensor *running_mean,
                         ht_tensor *running_var, int32_t training, double momentum, double eps,
                         ht_tensor **out);
int32_t ht_nn_layer_norm(ht_tensor *x, const int64_t *shape, int64_t ndim, ht_tensor *w,
                         ht_tensor *b, double eps, ht_tensor **out);
int32_t ht_nn_dropout(ht_tensor *x, double p, int32_t training, ht_tensor **out);
int32_t ht_nn_max_pool2d(ht_tensor *x, const int64_t *kernel, const int64_t *stride,
                         const int64_t *padding, int32_t ceil_mode, ht_tensor **out);
int32_t ht_nn_avg_pool2d(ht_tensor *x, const int64_t *kernel, const int64_t *stride,
                         const int64_t *padding, int32_t ceil_mode, int32_t count_include_pad,
                         ht_tensor **out);
int32_t ht_nn_adaptive_avg_pool2d(ht_tensor *x, const int64_t *size, ht_tensor **out);
int32_t ht_nn_adaptive_max_pool2d(ht_tensor *x, const int64_t *size, ht_tensor **out);
int32_t ht_nn_cosine_similarity(ht_tensor *a, ht_tensor *b, int64_t dim, double eps,
                                ht_tensor **out);
int32_t ht_nn_pairwise_distance(ht_tensor *a, ht_tensor *b, double p, double eps,
                                int32_t keepdim, ht_tensor **out);
int32_t ht_nn_cdist(ht_tensor *a, ht_tensor *b, double p, ht_tensor **out);

/* --------------------------------------------------------------- losses */
/* Reductions, as libtorch numbers them. KL's "batchmean" is SUM divided by the
   batch size, done by the caller. */
enum { HT_REDUCTION_NONE = 0, HT_REDUCTION_MEAN = 1, HT_REDUCTION_SUM = 2 };
/* target: int64 class indices, or float class probabilities. */
int32_t ht_loss_cross_entropy(ht_tensor *logits, ht_tensor *target, ht_tensor *weight,
                              int32_t reduction, int64_t ignore_index, double label_smoothing,
                              ht_tensor **out);
int32_t ht_loss_nll(ht_tensor *log_probs, ht_tensor *target, ht_tensor *weight,
                    int32_t reduction, int64_t ignore_index, ht_tensor **out);
int32_t ht_loss_mse(ht_tensor *a, ht_tensor *b, int32_t reduction, ht_tensor **out);
int32_t ht_loss_l1(ht_tensor *a, ht_tensor *b, int32_t reduction, ht_tensor **out);
int32_t ht_loss_smooth_l1(ht_tensor *a, ht_tensor *b, int32_t reduction, double beta,
                          ht_tensor **out);
int32_t ht_loss_kl_div(ht_tensor *input, ht_tensor *target, int32_t reduction,
                       int32_t log_target, ht_tensor **out);
int32_t ht_loss_bce_with_logits(ht_tensor *logits, ht_tensor *target, int32_t reduction,
                                ht_tensor **out);

/* ------------------------------------------------------------ optimisers */
/* One parameter's update, exactly torch.optim's single-tensor code path (1.13),
   run without autograd recording. `*buf` is the momentum buffer: NULL on the
   first step, in which case a new handle is written back. */
int32_t ht_optim_sgd_update(ht_tensor *param, ht_tensor *grad, ht_tensor **buf, double lr,
                            double momentum, double dampening, double weight_decay,
                            int32_t nesterov, int32_t maximize);
/* `step` is the step count after this step (1 on the first). max_exp_avg_sq is
   only read when amsgrad. decoupled != 0 selects AdamW's weight decay. */
int32_t ht_optim_adam_update(ht_tensor *param, ht_tensor *grad, ht_tensor *exp_avg,
                             ht_tensor *exp_avg_sq, ht_tensor *max_exp_avg_sq, int64_t step,
                             double lr, double beta1, double beta2, double eps,
                             double weight_decay, int32_t amsgrad, int32_t decoupled,
                             int32_t maximize);

/* ------------------------------------------------------------ tensor lists */
int32_t ht_tensor_list_new(ht_tensor_list **out);
void ht_tensor_list_free(ht_tensor_list *l);
int32_t ht_tensor_list_push(ht_tensor_list *l, ht_tensor *t);
int32_t ht_tensor_list_size(ht_tensor_list *l, int64_t *out);
int32_t ht_tensor_list_get(ht_tensor_list *l, int64_t i, ht_tensor **out);
/* torch.save-compatible files holding a list of tensors (torch.load reads them). */
int32_t ht_tensor_list_save(ht_tensor_list *l, const char *path);
int32_t ht_tensor_list_load(const char *path, ht_tensor_list **out);

/* --------------------------------------------------- script values (IValue) */
enum {
    HT_VALUE_NONE = 0, HT_VALUE_TENSOR, HT_VALUE_DOUBLE, HT_VALUE_INT, HT_VALUE_BOOL,
    HT_VALUE_STRING, HT_VALUE_TUPLE, HT_VALUE_LIST, HT_VALUE_DICT, HT_VALUE_OTHER,
};
void ht_value_free(ht_value *v);
int32_t ht_value_from_tensor(ht_tensor *t, ht_value **out);
int32_t ht_value_from_double(double d, ht_value **out);
int32_t ht_value_from_int(int64_t i, ht_value **out);
int32_t ht_value_from_bool(int32_t b, ht_value **out);
int32_t ht_value_from_string(const char *s, ht_value **out);
int32_t ht_value_none(ht_value **out);
/* A tuple or list of the given values (copied). */
int32_t ht_value_from_values(ht_value *const *vs, int64_t n, int32_t as_tuple, ht_value **out);
int32_t ht_value_kind(ht_value *v, int32_t *out);
int32_t ht_value_tensor(ht_value *v, ht_tensor **out);
int32_t ht_value_double(ht_value *v, double *out);
int32_t ht_value_int(ht_value *v, int64_t *out);
int32_t ht_value_bool(ht_value *v, int32_t *out);
int32_t ht_value_string(ht_value *v, char **out);
int32_t ht_value_type_name(ht_value *v, char **out);
/* Tuples, lists (elements) and dicts (values, in insertion order). */
int32_t ht_value_count(ht_value *v, int64_t *out);
int32_t ht_value_element(ht_value *v, int64_t i, ht_value **out);
/* Dict key i, rendered as a string (str keys as-is). */
int32_t ht_value_key(ht_value *v, int64_t i, char **out);

/* --------------------------------------------------------- script modules */
void ht_module_free(ht_module *m);
int32_t ht_module_load(const char *path, ht_module **out);
int32_t ht_module_save(ht_module *m, const char *path);
/* An empty module named `name`, to fill with parameters and TorchScript source. */
int32_t ht_module_new(const char *name, ht_module **out);
/* Module::define: adds the methods in `source` (they may use self.<attributes>). */
int32_t ht_module_define(ht_module *m, const char *source);
int32_t ht_module_register_parameter(ht_module *m, const char *name, ht_tensor *t,
                                     int32_t is_buffer);
int32_t ht_module_register_module(ht_module *m, const char *name, ht_module *child);
int32_t ht_module_set_attribute_tensor(ht_module *m, const char *name, ht_tensor *t);
int32_t ht_module_run_method(ht_module *m, const char *method, ht_value *const *args,
                             int64_t nargs, ht_value **out);
/* ht_module_run_method under c10::InferenceMode when `inference` != 0: no autograd
   state at all (no version counters, no graph), for pure inference. The guard lives
   for this call only; tensors it returns are inference tensors (read them, pass
   them to functional ops; never modify them in place outside this call). */
int32_t ht_module_run_method_mode(ht_module *m, const char *method, ht_value *const *args,
                                  int64_t nargs, int32_t inference, ht_value **out);
int32_t ht_module_has_method(ht_module *m, const char *method, int32_t *out);
/* Names joined by '\n'. */
int32_t ht_module_method_names(ht_module *m, char **out);
int32_t ht_module_type_name(ht_module *m, char **out);
/* Dotted path ("layer4.0.conv1"); "" is the module itself. */
int32_t ht_module_submodule(ht_module *m, const char *path, ht_module **out);
/* Names joined by '\n': direct children, or every descendant by dotted path. */
int32_t ht_module_child_names(ht_module *m, int32_t recursive, char **out);
/* Dotted names joined by '\n' and the tensors (sharing storage with the module). */
int32_t ht_module_named_parameters(ht_module *m, int32_t recurse, char **names,
                                   ht_tensor_list **tensors);
int32_t ht_module_named_buffers(ht_module *m, int32_t recurse, char **names,
                                ht_tensor_list **tensors);
int32_t ht_module_train(ht_module *m, int32_t on);
int32_t ht_module_is_training(ht_module *m, int32_t *out);
/* torch.jit.freeze: inlines parameters as constants; the module must be in eval mode. */
int32_t ht_module_freeze(ht_module *m, ht_module **out);
/* For extraction only: torch.jit.freeze keeping the methods in `methods` (names
   joined by '\n'; "" keeps forward only), then, when `optimize` != 0,
   torch.jit.optimize_for_inference over them (conv-BN folding, dropout removal,
   MKLDNN layouts on CPU). The module must be in eval mode; submodules are inlined. */
int32_t ht_module_freeze_for_inference(ht_module *m, const char *methods, int32_t optimize,
                                       ht_module **out);
/* Parameters and buffers of rank 4 to `format` in place (HT_MEMORY_FORMAT_*), as
   nn.Module.to(memory_format=...) does. */
int32_t ht_module_to_memory_format(ht_module *m, int32_t format);
int32_t ht_module_clone(ht_module *m, ht_module **out);
int32_t ht_module_to_dtype(ht_module *m, int32_t dtype);
/* Moves parameters and buffers to a device (index -1: the default one). */
int32_t ht_module_to_device(ht_module *m, int32_t device_type, int32_t index);

/* ---------------------------------------------------------- linear algebra */
/* torch.linalg.svdvals: singular values of the last two dimensions, descending,
   differentiable (the backward pass goes through the full SVD). */
int32_t ht_linalg_svdvals(ht_tensor *t, ht_tensor **out);

/* ------------------------------------------------------------- distributed */
/* A process group of c10d's Gloo backend over TCP (distributed.cpp). Rank 0 hosts
   the rendezvous store at master_host:master_port; every rank connects to it, then
   to each other. timeout_ms bounds the rendezvous and every collective: a peer
   that is gone or never arrives makes the call fail with an error, never hang.
   The Gloo device binds to device_interface (a network interface name) when
   given, else to device_hostname's address, else to this machine's hostname. */
typedef struct ht_process_group ht_process_group;
enum { HT_DIST_SUM = 0, HT_DIST_AVERAGE = 1 };
int32_t ht_dist_init(const char *master_host, int32_t master_port, int32_t rank, int32_t world_size,
                     int64_t timeout_ms, const char *device_interface, const char *device_hostname,
                     ht_process_group **out);
/* The NCCL group for tensors on GPU `device_index`, created by the plugin at
   `plugin_path` (libhubminer_nccl.so, built by `scripts/dev.sh nccl` against the
   same libtorch); loads libtorch's CUDA part first. */
int32_t ht_dist_init_nccl(const char *master_host, int32_t master_port, int32_t rank, int32_t world_size,
                          int64_t timeout_ms, const char *plugin_path, int32_t device_index,
                          ht_process_group **out);
void ht_dist_free(ht_process_group *pg);
int32_t ht_dist_rank(ht_process_group *pg, int32_t *out);
int32_t ht_dist_world_size(ht_process_group *pg, int32_t *out);
/* In place on every rank; float32/float64, contiguous. AVERAGE divides the sum by
   the world size. Each tensor is reduced on its own (same order on every rank). */
int32_t ht_dist_all_reduce(ht_process_group *pg, ht_tensor *const *ts, int64_t n, int32_t op);
/* In place: every rank's tensors become root's. */
int32_t ht_dist_broadcast(ht_process_group *pg, ht_tensor *const *ts, int64_t n, int32_t root);
/* Every rank's `input` (same shape and dtype everywhere), in rank order. */
int32_t ht_dist_all_gather(ht_process_group *pg, ht_tensor *input, ht_tensor_list **out);
int32_t ht_dist_barrier(ht_process_group *pg);

/* Gradient averaging that overlaps the backward pass (distributed_reducer.cpp).
   create: parameters (float32/float64 leaves; one not requiring a gradient counts
   as zeros) go into buckets
   of at most bucket_bytes of one dtype, in reverse order; a hook per parameter
   copies its gradient into the bucket as autograd computes it, and every complete
   bucket is all-reduced (sum) asynchronously, buckets in order. finish, after
   backward(): reduces the incomplete buckets (a parameter without a gradient this
   step counts as zeros), waits for every bucket up to timeout_ms, divides by the
   world size and writes each parameter's grad (created when undefined); then the
   reducer is ready for the next step. One backward() per finish(). free removes
   the hooks; the process group must outlive the reducer. */
typedef struct ht_grad_reducer ht_grad_reducer;
int32_t ht_dist_reducer_create(ht_process_group *pg, ht_tensor *const *params, int64_t count, int64_t bucket_bytes,
                               ht_grad_reducer **out);
int32_t ht_dist_reducer_bucket_count(ht_grad_reducer *reducer, int64_t *out);
/* Buckets already launched in this step (before finish: those launched by hooks). */
int32_t ht_dist_reducer_launched(ht_grad_reducer *reducer, int64_t *out);
int32_t ht_dist_reducer_finish(ht_grad_reducer *reducer, int64_t timeout_ms);
void ht_dist_reducer_free(ht_grad_reducer *reducer);

/* ---------------------------------------------------------------- devices */
/* Loads libtorch's CUDA part (libtorch_cuda.so, beside the loaded libtorch_cpu.so)
   once; fails with what is missing when there is no CUDA libtorch or no GPU. */
int32_t ht_cuda_load(void);
/* The number of usable GPUs: 0 when CUDA cannot be loaded (never fails for that). */
int32_t ht_cuda_device_count(int32_t *out);
int32_t ht_tensor_to_device(ht_tensor *t, int32_t device_type, int32_t index, ht_tensor **out);
/* Moves t's data to the device in place (every holder of t sees it there), as Module.to does for parameters. */
int32_t ht_tensor_move_to_device(ht_tensor *t, int32_t device_type, int32_t index);
int32_t ht_tensor_device(ht_tensor *t, int32_t *device_type, int32_t *index);

/* -------------------------------------------------------------- attention */
/* softmax(q kᵀ · scale + mask) v over the last two dimensions; mask is NULL, a bool
   tensor (true: attend) or an additive float tensor; scale NaN means 1/sqrt(d). */
int32_t ht_scaled_dot_product_attention(ht_tensor *q, ht_tensor *k, ht_tensor *v, ht_tensor *mask,
                                        int32_t is_causal, double scale, ht_tensor **out);

/* ------------------------------------------------- AOTInductor packages */
/* A `.pt2` package from torch._inductor.aoti_compile_and_package, loaded for a
   device (inference only). */
int32_t ht_aoti_load(const char *path, int32_t device_type, int32_t index, ht_aoti_model **out);
void ht_aoti_free(ht_aoti_model *m);
/* Runs the package on its flattened inputs; the outputs come back as a list. */
int32_t ht_aoti_run(ht_aoti_model *m, ht_tensor *const *inputs, int64_t n, ht_tensor_list **out);
/* The package's metadata as "key=value" lines. */
int32_t ht_aoti_metadata(ht_aoti_model *m, char **out);

#ifdef __cplusplus
}
#endif
#endif
