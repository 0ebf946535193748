// Functional layers, losses and the optimiser update rules.
#include <cmath>
#include <optional>

#include "internal.h"

using namespace ctorch;

static std::array<int64_t, 2> pair(const int64_t *p, const char *what) {
    if (p == nullptr) throw std::invalid_argument(std::string("null ") + what);
    return {p[0], p[1]};
}

static int64_t reduction(int32_t r) {
    if (r < HT_REDUCTION_NONE || r > HT_REDUCTION_SUM)
        throw std::invalid_argument("unknown reduction " + std::to_string(r));
    return r;  // the header's numbering is at::Reduction's
}

extern "C" {

/* ------------------------------------------------------- functional layers */
int32_t ht_nn_linear(ht_tensor *x, ht_tensor *w, ht_tensor *b, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::linear(tensor(x), tensor(w), optional_tensor(b)));
    HT_END
}
int32_t ht_nn_conv2d(ht_tensor *x, ht_tensor *w, ht_tensor *b, const int64_t *stride,
                     const int64_t *padding, const int64_t *dilation, int64_t groups,
                     ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::conv2d(tensor(x), tensor(w), optional_tensor(b), pair(stride, "stride"),
                           pair(padding, "padding"), pair(dilation, "dilation"), groups));
    HT_END
}
int32_t ht_nn_batch_norm(ht_tensor *x, ht_tensor *w, ht_tensor *b, ht_tensor *running_mean,
                         ht_tensor *running_var, int32_t training, double momentum, double eps,
                         ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::batch_norm(tensor(x), optional_tensor(w), optional_tensor(b),
                               optional_tensor(running_mean), optional_tensor(running_var),
                               training != 0, momentum, eps, /*cudnn_enabled=*/false));
    HT_END
}
int32_t ht_nn_layer_norm(ht_tensor *x, const int64_t *shape, int64_t ndim, ht_tensor *w,
                         ht_tensor *b, double eps, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::layer_norm(tensor(x), dims(shape, ndim), optional_tensor(w), optional_tensor(b),
                               eps, /*cudnn_enable=*/false));
    HT_END
}
int32_t ht_nn_dropout(ht_tensor *x, double p, int32_t training, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    if (p < 0 || p > 1) throw std::invalid_argument("dropout probability must be in [0, 1]");
    *out = wrap(at::dropout(tensor(x), p, training != 0));
    HT_END
}
int32_t ht_nn_max_pool2d(ht_tensor *x, const int64_t *kernel, const int64_t *stride,
                         const int64_t *padding, int32_t ceil_mode, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    std::array<int64_t, 2> dilation{1, 1};
    *out = wrap(at::max_pool2d(tensor(x), pair(kernel, "kernel"), pair(stride, "stride"),
                               pair(padding, "padding"), dilation, ceil_mode != 0));
    HT_END
}
int32_t ht_nn_avg_pool2d(ht_tensor *x, const int64_t *kernel, const int64_t *stride,
                         const int64_t *padding, int32_t ceil_mode, int32_t count_include_pad,
                         ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::avg_pool2d(tensor(x), pair(kernel, "kernel"), pair(stride, "stride"),
                               pair(padding, "padding"), ceil_mode != 0, count_include_pad != 0));
    HT_END
}
int32_t ht_nn_adaptive_avg_pool2d(ht_tensor *x, const int64_t *size, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::adaptive_avg_pool2d(tensor(x), pair(size, "output size")));
    HT_END
}
int32_t ht_nn_adaptive_max_pool2d(ht_tensor *x, const int64_t *size, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(std::get<0>(at::adaptive_max_pool2d(tensor(x), pair(size, "output size"))));
    HT_END
}
int32_t ht_nn_cosine_similarity(ht_tensor *a, ht_tensor *b, int64_t dim, double eps,
                                ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::cosine_similarity(tensor(a), tensor(b), dim, eps));
    HT_END
}
int32_t ht_nn_pairwise_distance(ht_tensor *a, ht_tensor *b, double p, double eps,
                                int32_t keepdim, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::pairwise_distance(tensor(a), tensor(b), p, eps, keepdim != 0));
    HT_END
}
int32_t ht_nn_cdist(ht_tensor *a, ht_tensor *b, double p, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::cdist(tensor(a), tensor(b), p));
    HT_END
}

/* ------------------------------------------------------------------ losses */
int32_t ht_loss_cross_entropy(ht_tensor *logits, ht_tensor *target, ht_tensor *weight,
                              int32_t r, int64_t ignore_index, double label_smoothing,
                              ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::cross_entropy_loss(tensor(logits), tensor(target), optional_tensor(weight),
                                       reduction(r), ignore_index, label_smoothing));
    HT_END
}
int32_t ht_loss_nll(ht_tensor *log_probs, ht_tensor *target, ht_tensor *weight, int32_t r,
                    int64_t ignore_index, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::nll_loss_nd(tensor(log_probs), tensor(target), optional_tensor(weight),
                                reduction(r), ignore_index));
    HT_END
}
int32_t ht_loss_mse(ht_tensor *a, ht_tensor *b, int32_t r, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::mse_loss(tensor(a), tensor(b), reduction(r)));
    HT_END
}
int32_t ht_loss_l1(ht_tensor *a, ht_tensor *b, int32_t r, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::l1_loss(tensor(a), tensor(b), reduction(r)));
    HT_END
}
int32_t ht_loss_smooth_l1(ht_tensor *a, ht_tensor *b, int32_t r, double beta, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::smooth_l1_loss(tensor(a), tensor(b), reduction(r), beta));
    HT_END
}
int32_t ht_loss_kl_div(ht_tensor *input, ht_tensor *target, int32_t r, int32_t log_target,
                       ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::kl_div(tensor(input), tensor(target), reduction(r), log_target != 0));
    HT_END
}
int32_t ht_loss_bce_with_logits(ht_tensor *logits, ht_tensor *target, int32_t r,
                                ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(at::binary_cross_entropy_with_logits(tensor(logits), tensor(target), {}, {},
                                                     reduction(r)));
    HT_END
}

/* -------------------------------------------------------------- optimisers */
// Both rules transcribe torch/optim/{sgd,adam,adamw}.py's `_single_tensor_*`
// functions of PyTorch 1.13 (the default, non-foreach path on CPU) operation by
// operation, so results match PyTorch bit for bit.
int32_t ht_optim_sgd_update(ht_tensor *param, ht_tensor *grad, ht_tensor **buf, double lr,
                            double momentum, double dampening, double weight_decay,
                            int32_t nesterov, int32_t maximize) {
    HT_BEGIN
    require_out(buf);
    at::NoGradGuard no_grad;
    const at::Tensor &p = tensor(param);
    at::Tensor d_p = maximize ? -tensor(grad) : tensor(grad);
    if (weight_decay != 0) d_p = d_p.add(p, weight_decay);
    if (momentum != 0) {
        at::Tensor b;
        if (*buf == nullptr) {
            b = d_p.clone().detach();
            *buf = wrap(b);
        } else {
            b = tensor(*buf);
            b.mul_(momentum).add_(d_p, 1 - dampening);
        }
        d_p = nesterov ? d_p.add(b, momentum) : b;
    }
    p.add_(d_p, -lr);
    HT_END
}

int32_t ht_optim_adam_update(ht_tensor *param, ht_tensor *grad, ht_tensor *exp_avg_h,
                             ht_tensor *exp_avg_sq_h, ht_tensor *max_exp_avg_sq_h, int64_t step,
                             double lr, double beta1, double beta2, double eps,
                             double weight_decay, int32_t amsgrad, int32_t decoupled,
                             int32_t maximize) {
    HT_BEGIN
    at::NoGradGuard no_grad;
    const at::Tensor &p = tensor(param);
    at::Tensor g = maximize ? -tensor(grad) : tensor(grad);
    const at::Tensor &exp_avg = tensor(exp_avg_h);
    const at::Tensor &exp_avg_sq = tensor(exp_avg_sq_h);
    if (step < 1) throw std::invalid_argument("Adam step count must be at least 1");
    if (decoupled) {
        p.mul_(1 - lr * weight_decay);
    } else if (weight_decay != 0) {
        g = g.add(p, weight_decay);
    }
    exp_avg.mul_(beta1).add_(g, 1 - beta1);
    exp_avg_sq.mul_(beta2).addcmul_(g, g, 1 - beta2);
    double bias_correction1 = 1 - std::pow(beta1, (double)step);
    double bias_correction2 = 1 - std::pow(beta2, (double)step);
    double step_size = lr / bias_correction1;
    double bias_correction2_sqrt = std::sqrt(bias_correction2);
    at::Tensor denom;
    if (amsgrad) {
        at::Tensor max_sq = tensor(max_exp_avg_sq_h);
        at::maximum_out(max_sq, max_sq, exp_avg_sq);
        denom = (max_sq.sqrt() / bias_correction2_sqrt).add_(eps);
    } else {
        denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps);
    }
    p.addcdiv_(exp_avg, denom, -step_size);
    HT_END
}

/* Scaled-dot-product attention, libtorch's fused kernel (the one the attention
   models of torchvision, timm and transformers call). */
int32_t ht_scaled_dot_product_attention(ht_tensor *q, ht_tensor *k, ht_tensor *v, ht_tensor *mask,
                                        int32_t is_causal, double scale, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    std::optional<double> s;
    if (!std::isnan(scale)) s = scale;
    std::optional<at::Tensor> m;
    if (mask != nullptr) m = tensor(mask);
    *out = wrap(at::scaled_dot_product_attention(tensor(q), tensor(k), tensor(v), m, 0.0, is_causal != 0, s));
    HT_END
}

}  // extern "C"
