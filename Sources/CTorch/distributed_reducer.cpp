// Data-parallel gradient averaging that overlaps the backward pass, as PyTorch's
// DDP Reducer does: a hook on every parameter copies its gradient into a slot of a
// flat bucket as soon as autograd has computed it, and a bucket whose slots are all
// filled is all-reduced asynchronously while the backward pass goes on.
//
// Buckets are launched strictly in bucket order (a ready bucket waits for the ones
// before it): Gloo pairs collectives by their order on each rank, and gradients may
// arrive in different orders on different ranks (a parameter unused on one rank),
// so an order-by-readiness launch could pair unrelated buckets.
#include <mutex>

#include "distributed_internal.h"

struct ht_grad_reducer {
    struct Slot {
        at::Tensor parameter;
        int64_t bucket;
        int64_t offset;  // elements into the bucket's buffer
        int64_t count;
        bool filled = false;
        unsigned hook = 0;
        bool hooked = false;
    };
    struct Bucket {
        at::Tensor buffer;                  // flat, one dtype
        std::vector<int64_t> slots;         // parameter indices
        int64_t pending = 0;                // slots not yet filled this step
        c10::intrusive_ptr<c10d::Work> work;  // set once launched
    };

    ht_process_group *pg;
    std::vector<Slot> slots;
    std::vector<Bucket> buckets;
    // Hooks run on autograd's threads; this guards slots, buckets and the fields below.
    std::mutex mutex;
    size_t next_to_launch = 0;
    // A failure inside a hook (a launch error, a second gradient for one slot) is
    // kept for finish(): throwing from the hook would surface as an autograd error
    // without the reducer's context.
    std::string hook_error;

    std::string bucket_name(size_t b) const {
        const auto &s = buckets[b].slots;  // descending parameter indices
        const std::string which = s.size() == 1 ? "parameter " + std::to_string(s[0])
                                                : "parameters " + std::to_string(s.back()) + "-" + std::to_string(s.front());
        return "gradient bucket " + std::to_string(b + 1) + " of " + std::to_string(buckets.size()) + " (" + which + ")";
    }

    // Caller holds the mutex.
    void launch(size_t b) {
        std::vector<at::Tensor> one{buckets[b].buffer};
        buckets[b].work = pg->group->allreduce(one);
    }

    // Caller holds the mutex: launches every bucket, in order, that is complete.
    void launch_ready() {
        while (next_to_launch < buckets.size() && buckets[next_to_launch].pending == 0) {
            launch(next_to_launch);
            ++next_to_launch;
        }
    }

    void on_gradient(size_t index, const at::Tensor &grad) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!hook_error.empty()) return;
        try {
            Slot &slot = slots[index];
            Bucket &bucket = buckets[static_cast<size_t>(slot.bucket)];
            if (slot.filled) {
                throw std::runtime_error("parameter " + std::to_string(index) +
                                         " received a second gradient in one step (one backward() per finish())");
            }
            if (!grad.defined() || grad.is_sparse())
                throw std::runtime_error("parameter " + std::to_string(index) + " received an undefined or sparse gradient");
            if (grad.numel() != slot.count)
                throw std::runtime_error("parameter " + std::to_string(index) + " received a gradient of " +
                                         std::to_string(grad.numel()) + " values, expected " + std::to_string(slot.count));
            at::NoGradGuard no_grad;
            bucket.buffer.narrow(0, slot.offset, slot.count).view(grad.sizes()).copy_(grad);
            slot.filled = true;
            --bucket.pending;
            launch_ready();
        } catch (const c10::Error &e) {
            hook_error = e.what_without_backtrace();
        } catch (const std::exception &e) {
            hook_error = e.what();
        }
    }

    void reset() {
        for (auto &b : buckets) {
            b.pending = static_cast<int64_t>(b.slots.size());
            b.work.reset();
        }
        // A tensor without a hook (not requiring a gradient) is filled with zeros
        // up front, so its bucket does not wait for finish() to go on the wire.
        at::NoGradGuard no_grad;
        for (auto &s : slots) {
            s.filled = !s.hooked;
            if (s.hooked) continue;
            auto &b = buckets[static_cast<size_t>(s.bucket)];
            b.buffer.narrow(0, s.offset, s.count).zero_();
            --b.pending;
        }
        next_to_launch = 0;
        hook_error.clear();
    }
};

using namespace ctorch;

extern "C" {

int32_t ht_dist_reducer_create(ht_process_group *pg, ht_tensor *const *params, int64_t count, int64_t bucket_bytes,
                               ht_grad_reducer **out) {
    HT_BEGIN
    require_out(out);
    if (pg == nullptr || !pg->group) throw std::invalid_argument("null process group handle");
    if (count < 0 || (count > 0 && params == nullptr)) throw std::invalid_argument("bad parameter array");
    if (bucket_bytes <= 0) throw std::invalid_argument("bucket size must be positive, got " + std::to_string(bucket_bytes));
    auto reducer = std::make_unique<ht_grad_reducer>();
    reducer->pg = pg;
    reducer->slots.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
        const at::Tensor &p = tensor(params[i]);
        if (!p.defined()) throw std::invalid_argument("parameter " + std::to_string(i) + " is undefined");
        if (p.scalar_type() != at::kFloat && p.scalar_type() != at::kDouble)
            throw std::invalid_argument("parameter " + std::to_string(i) + " is " + c10::toString(p.scalar_type()) +
                                        "; expected float32 or float64");
        if (!p.is_leaf())
            throw std::invalid_argument("parameter " + std::to_string(i) + " is not a leaf tensor (an intermediate result)");
        reducer->slots[static_cast<size_t>(i)].parameter = p;
    }
    // Reverse order: backward produces the last layers' gradients first, so the
    // first bucket fills (and goes on the wire) earliest.
    int64_t bytes = 0;
    for (int64_t i = count - 1; i >= 0; --i) {
        auto &slot = reducer->slots[static_cast<size_t>(i)];
        const int64_t size = slot.parameter.numel() * static_cast<int64_t>(slot.parameter.element_size());
        auto &buckets = reducer->buckets;
        const bool fits = !buckets.empty() &&
                          reducer->slots[static_cast<size_t>(buckets.back().slots[0])].parameter.scalar_type() ==
                              slot.parameter.scalar_type() &&
                          bytes + size <= bucket_bytes;
        if (!fits) {
            buckets.emplace_back();
            bytes = 0;
        }
        slot.bucket = static_cast<int64_t>(buckets.size() - 1);
        slot.count = slot.parameter.numel();
        int64_t offset = 0;
        for (int64_t j : buckets.back().slots) offset += reducer->slots[static_cast<size_t>(j)].count;
        slot.offset = offset;
        buckets.back().slots.push_back(i);
        bytes += size;
    }
    for (auto &b : reducer->buckets) {
        int64_t n = 0;
        for (int64_t j : b.slots) n += reducer->slots[static_cast<size_t>(j)].count;
        const auto dtype = reducer->slots[static_cast<size_t>(b.slots[0])].parameter.scalar_type();
        b.buffer = at::zeros({n}, at::TensorOptions().dtype(dtype));
    }
    ht_grad_reducer *raw = reducer.get();
    for (int64_t i = 0; i < count; ++i) {
        auto &slot = raw->slots[static_cast<size_t>(i)];
        // A frozen tensor never receives a gradient: it counts as zeros, as a
        // parameter unused in a step does (the post-backward synchroniser agrees).
        if (!slot.parameter.requires_grad()) continue;
        slot.hooked = true;
        // Returns nothing: the gradient flows on unchanged (finish() overwrites it).
        slot.hook = slot.parameter.register_hook([raw, i](const at::Tensor &grad) { raw->on_gradient(static_cast<size_t>(i), grad); });
    }
    raw->reset();
    *out = reducer.release();
    HT_END
}

int32_t ht_dist_reducer_bucket_count(ht_grad_reducer *reducer, int64_t *out) {
    HT_BEGIN
    require_out(out);
    if (reducer == nullptr) throw std::invalid_argument("null reducer handle");
    *out = static_cast<int64_t>(reducer->buckets.size());
    HT_END
}

int32_t ht_dist_reducer_launched(ht_grad_reducer *reducer, int64_t *out) {
    HT_BEGIN
    require_out(out);
    if (reducer == nullptr) throw std::invalid_argument("null reducer handle");
    std::lock_guard<std::mutex> lock(reducer->mutex);
    *out = static_cast<int64_t>(reducer->next_to_launch);
    HT_END
}

int32_t ht_dist_reducer_finish(ht_grad_reducer *reducer, int64_t timeout_ms) {
    HT_BEGIN
    if (reducer == nullptr) throw std::invalid_argument("null reducer handle");
    if (timeout_ms <= 0) throw std::invalid_argument("timeout must be positive");
    std::lock_guard<std::mutex> lock(reducer->mutex);
    // Whatever happens below, the next step starts from empty slots.
    struct Reset {
        ht_grad_reducer *r;
        ~Reset() {
            try {
                r->reset();
            } catch (...) {
                // Zeroing CPU buffers does not fail; a destructor must not throw.
            }
        }
    } reset{reducer};
    ht_process_group *pg = reducer->pg;
    // Buckets already launched are still reduced (and waited on) so the ranks'
    // collective sequences stay aligned; the hook's error is reported afterwards.
    const std::string hook_error = reducer->hook_error;
    for (size_t b = reducer->next_to_launch; b < reducer->buckets.size(); ++b) {
        auto &bucket = reducer->buckets[b];
        // Parameters without a gradient in this step count as zeros.
        for (int64_t j : bucket.slots) {
            auto &slot = reducer->slots[static_cast<size_t>(j)];
            if (!slot.filled) bucket.buffer.narrow(0, slot.offset, slot.count).zero_();
        }
        reducer->launch(b);
    }
    reducer->next_to_launch = reducer->buckets.size();
    ht_process_group timed = *pg;
    timed.timeout = std::chrono::milliseconds(timeout_ms);
    for (size_t b = 0; b < reducer->buckets.size(); ++b) {
        // Gloo's own failures (a closed connection) arrive as plain std::exceptions.
        try {
            wait_for(&timed, reducer->buckets[b].work, "it");
        } catch (const c10::Error &e) {
            throw std::runtime_error("all-reduce of " + reducer->bucket_name(b) + ": " + e.what_without_backtrace());
        } catch (const std::exception &e) {
            throw std::runtime_error("all-reduce of " + reducer->bucket_name(b) + ": " + e.what());
        }
    }
    if (!hook_error.empty()) throw std::runtime_error("gradient hook: " + hook_error);
    at::NoGradGuard no_grad;
    const double world = static_cast<double>(pg->world_size);
    for (auto &bucket : reducer->buckets) {
        bucket.buffer.div_(world);
        for (int64_t j : bucket.slots) {
            auto &slot = reducer->slots[static_cast<size_t>(j)];
            at::Tensor average = bucket.buffer.narrow(0, slot.offset, slot.count).view(slot.parameter.sizes());
            at::Tensor &grad = slot.parameter.mutable_grad();
            if (grad.defined()) grad.copy_(average);
            else grad = average.clone();
        }
    }
    HT_END
}

void ht_dist_reducer_free(ht_grad_reducer *reducer) {
    if (reducer == nullptr) return;
    try {
        for (auto &slot : reducer->slots)
            if (slot.hooked) slot.parameter.remove_hook(slot.hook);
    } catch (...) {
        // Removing hooks cannot meaningfully fail; never let it end the process.
    }
    try {
        delete reducer;
    } catch (...) {
    }
}

}  // extern "C"
