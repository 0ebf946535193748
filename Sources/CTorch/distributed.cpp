// Multi-process collectives over libtorch's distributed runtime (c10d): a TCPStore
// for the rendezvous and a process group for the data: Gloo over TCP for tensors
// on the CPU, NCCL for tensors on GPUs (created by a plugin, see ht_dist_init_nccl).
//
// Every collective is issued, then waited on with the group's timeout, so a peer
// that died or never arrives becomes an error message here instead of a hang; the
// Work's stored exception (Gloo's "Connection closed by peer", a timeout) is
// rethrown by wait() and caught by HT_END like any other libtorch error.
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <dlfcn.h>
#include <torch/headeronly/version.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <limits>

#include "distributed_internal.h"

namespace ctorch {

// Waits for one collective with the group's timeout. wait() rethrows the
// exception the Gloo worker stored; a false return (not completed in time) is
// turned into an error naming the operation and the timeout.
void wait_for(ht_process_group *pg, const c10::intrusive_ptr<c10d::Work> &work, const std::string &what) {
    const std::string late = what + " did not complete within " +
                             std::to_string(pg->timeout.count()) +
                             " ms (a peer is stalled, or has not reached the same collective)";
    bool done = false;
    try {
        done = work->wait(pg->timeout);
    } catch (const c10::Error &e) {
        // Work::wait reports its own timeout as a bare "Operation timed out!"; when
        // Gloo's transport times out first (a loaded machine) it says "Timed out
        // waiting 2000ms for recv ...". Both are the same event for the caller.
        std::string message = e.what_without_backtrace();
        std::transform(message.begin(), message.end(), message.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (message.find("timed out") != std::string::npos) throw std::runtime_error(late);
        throw;
    }
    if (!done) throw std::runtime_error(late);
}

}  // namespace ctorch

namespace {

c10d::Backend &group(ht_process_group *pg) {
    if (pg == nullptr || !pg->group) throw std::invalid_argument("null process group handle");
    return *pg->group;
}

// Gloo reduces dense, contiguous CPU tensors in place; the shim supports the two
// floating types the Swift layer trains and ranks with.
at::Tensor collective_tensor(const ht_process_group *pg, const ht_tensor *h, const char *what) {
    const at::Tensor &t = ctorch::tensor(h);
    if (!t.defined()) throw std::invalid_argument(std::string(what) + ": undefined tensor");
    if (pg->on_gpu != t.is_cuda())
        throw std::invalid_argument(std::string(what) + ": the " + (pg->on_gpu ? "NCCL" : "Gloo") +
                                    " group reduces tensors on the " + (pg->on_gpu ? "GPU" : "CPU") +
                                    ", got one on " + t.device().str());
    if (t.scalar_type() != at::kFloat && t.scalar_type() != at::kDouble)
        throw std::invalid_argument(std::string(what) + ": expected a float32 or float64 tensor, got " +
                                    c10::toString(t.scalar_type()));
    if (!t.is_contiguous())
        throw std::invalid_argument(std::string(what) + ": expected a contiguous tensor");
    return t;
}

std::vector<at::Tensor> collective_tensors(const ht_process_group *pg, ht_tensor *const *ts, int64_t n,
                                           const char *what) {
    if (n < 0 || (n > 0 && ts == nullptr)) throw std::invalid_argument(std::string(what) + ": bad tensor array");
    std::vector<at::Tensor> out;
    out.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) out.push_back(collective_tensor(pg, ts[i], what));
    return out;
}

// The rendezvous's arguments, checked before any socket is opened.
void check_rendezvous(const char *master_host, int32_t master_port, int32_t rank, int32_t world_size,
                      int64_t timeout_ms) {
    if (master_host == nullptr || *master_host == '\0') throw std::invalid_argument("empty master address");
    if (master_port <= 0 || master_port > 65535)
        throw std::invalid_argument("master port " + std::to_string(master_port) + " is not in 1...65535");
    if (world_size < 1) throw std::invalid_argument("world size " + std::to_string(world_size) + " is below 1");
    if (rank < 0 || rank >= world_size)
        throw std::invalid_argument("rank " + std::to_string(rank) + " is not in 0..<" + std::to_string(world_size));
    if (timeout_ms <= 0) throw std::invalid_argument("timeout must be positive");
}

// Writing to a socket whose peer is gone raises SIGPIPE, whose default action
// ends the process silently. Ignoring it (as the Python runtime always does)
// turns that into EPIPE, which the backend reports as an error of the collective.
void ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }

// The TCPStore of the rendezvous: rank 0 serves it and waits for every worker.
c10::intrusive_ptr<c10d::Store> make_store(const char *master_host, int32_t master_port, int32_t rank,
                                           int32_t world_size, std::chrono::milliseconds timeout) {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(master_port);
    store_options.isServer = (rank == 0);
    store_options.numWorkers = static_cast<size_t>(world_size);
    store_options.waitWorkers = true;
    store_options.timeout = timeout;
    return c10::make_intrusive<c10d::TCPStore>(std::string(master_host), store_options);
}

// The store's and the backends' own messages ("Socket Timeout", "Connection
// refused") do not say which step failed or what to check; the rendezvous adds that.
std::string rendezvous_context(int32_t world_size, int64_t timeout_ms) {
    return "rendezvous of " + std::to_string(world_size) + " ranks (timeout " + std::to_string(timeout_ms) +
           " ms) failed: ";
}
const char *const rendezvous_hint = " (are all ranks started, and is the master address reachable?)";

}  // namespace

using namespace ctorch;

extern "C" {

int32_t ht_dist_init(const char *master_host, int32_t master_port, int32_t rank, int32_t world_size,
                     int64_t timeout_ms, const char *device_interface, const char *device_hostname,
                     ht_process_group **out) {
    HT_BEGIN
    require_out(out);
    check_rendezvous(master_host, master_port, rank, world_size, timeout_ms);
    ignore_sigpipe();
    const std::chrono::milliseconds timeout(timeout_ms);
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::Backend> pg;
    try {
        store = make_store(master_host, master_port, rank, world_size, timeout);
        auto options = c10d::ProcessGroupGloo::Options::create(timeout);
        if (device_interface != nullptr && *device_interface != '\0') {
            options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(device_interface));
        } else if (device_hostname != nullptr && *device_hostname != '\0') {
            options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(device_hostname));
        } else {
            options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        }
        // The group's own worker threads run the collectives; two keep one collective
        // in flight while the next is queued, as PyTorch's default does.
        options->threads = 2;
        pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world_size, options);
    } catch (const c10::Error &e) {
        throw std::runtime_error(rendezvous_context(world_size, timeout_ms) + e.what_without_backtrace() + rendezvous_hint);
    } catch (const std::exception &e) {
        throw std::runtime_error(rendezvous_context(world_size, timeout_ms) + e.what() + rendezvous_hint);
    }
    *out = new ht_process_group{store, pg, timeout, rank, world_size, false};
    HT_END
}

int32_t ht_dist_init_nccl(const char *master_host, int32_t master_port, int32_t rank, int32_t world_size,
                          int64_t timeout_ms, const char *plugin_path, int32_t device_index,
                          ht_process_group **out) {
    HT_BEGIN
    require_out(out);
    check_rendezvous(master_host, master_port, rank, world_size, timeout_ms);
    if (plugin_path == nullptr || *plugin_path == '\0') throw std::invalid_argument("no NCCL plugin path");
    if (device_index < 0) throw std::invalid_argument("GPU index " + std::to_string(device_index) + " is negative");
    // 1. libtorch's CUDA part (RTLD_GLOBAL), which the plugin links against.
    require_cuda();
    // 2. The plugin, built against the same libtorch headers as this shim.
    void *plugin = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
    if (plugin == nullptr) {
        const char *why = dlerror();
        throw std::runtime_error(std::string("the NCCL plugin ") + plugin_path + " could not be loaded (" +
                                 (why ? why : "unknown") + "); rebuild it with `bash scripts/dev.sh nccl`");
    }
    using version_fn = const char *(*)();
    using create_fn = void *(*)(void *, int32_t, int32_t, int32_t, int64_t, char *, size_t);
    auto version = reinterpret_cast<version_fn>(dlsym(plugin, "hubminer_nccl_torch_version"));
    auto create = reinterpret_cast<create_fn>(dlsym(plugin, "hubminer_nccl_create"));
    if (version == nullptr || create == nullptr)
        throw std::runtime_error(std::string(plugin_path) + " is not a HubMiner NCCL plugin (no hubminer_nccl_create)");
    const std::string expected = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) +
                                 "." + std::to_string(TORCH_VERSION_PATCH);
    // The two exchange c10d objects by pointer: another libtorch's layout would be
    // memory corruption, so a version mismatch is refused before any call.
    if (expected != version())
        throw std::runtime_error(std::string("the NCCL plugin ") + plugin_path + " was built for libtorch " +
                                 version() + ", this program links " + expected +
                                 "; rebuild it with `bash scripts/dev.sh nccl`");
    ignore_sigpipe();
    const std::chrono::milliseconds timeout(timeout_ms);
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::Backend> pg;
    try {
        store = make_store(master_host, master_port, rank, world_size, timeout);
        char error[1024] = {0};
        void *created = create(store.get(), rank, world_size, device_index, timeout_ms, error, sizeof(error));
        if (created == nullptr) throw std::runtime_error(std::string("NCCL: ") + error);
        pg = c10::intrusive_ptr<c10d::Backend>::reclaim(static_cast<c10d::Backend *>(created));
    } catch (const c10::Error &e) {
        throw std::runtime_error(rendezvous_context(world_size, timeout_ms) + e.what_without_backtrace() + rendezvous_hint);
    } catch (const std::exception &e) {
        throw std::runtime_error(rendezvous_context(world_size, timeout_ms) + e.what() + rendezvous_hint);
    }
    *out = new ht_process_group{store, pg, timeout, rank, world_size, true};
    HT_END
}

void ht_dist_free(ht_process_group *pg) {
    try {
        delete pg;
    } catch (...) {
        // A destructor failing on a broken connection must not end the process.
    }
}

int32_t ht_dist_rank(ht_process_group *pg, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = group(pg).getRank();
    HT_END
}

int32_t ht_dist_world_size(ht_process_group *pg, int32_t *out) {
    HT_BEGIN
    require_out(out);
    *out = group(pg).getSize();
    HT_END
}

int32_t ht_dist_all_reduce(ht_process_group *pg, ht_tensor *const *ts, int64_t n, int32_t op) {
    HT_BEGIN
    auto &g = group(pg);
    if (op != HT_DIST_SUM && op != HT_DIST_AVERAGE)
        throw std::invalid_argument("unknown reduction code " + std::to_string(op));
    auto tensors = collective_tensors(pg, ts, n, "all-reduce");
    // One collective per tensor: Gloo reads a multi-tensor call as several local
    // devices' copies of one tensor and would add them together.
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    works.reserve(tensors.size());
    for (auto &t : tensors) {
        std::vector<at::Tensor> one{t};
        works.push_back(g.allreduce(one));
    }
    for (auto &w : works) wait_for(pg, w, "all-reduce");
    if (op == HT_DIST_AVERAGE) {
        at::NoGradGuard no_grad;
        for (auto &t : tensors) t.div_(static_cast<double>(pg->world_size));
    }
    HT_END
}

int32_t ht_dist_broadcast(ht_process_group *pg, ht_tensor *const *ts, int64_t n, int32_t root) {
    HT_BEGIN
    auto &g = group(pg);
    if (root < 0 || root >= pg->world_size)
        throw std::invalid_argument("broadcast root " + std::to_string(root) + " is not in 0..<" +
                                    std::to_string(pg->world_size));
    auto tensors = collective_tensors(pg, ts, n, "broadcast");
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    c10d::BroadcastOptions options;
    options.rootRank = root;
    for (auto &t : tensors) {
        std::vector<at::Tensor> one{t};
        works.push_back(g.broadcast(one, options));
    }
    for (auto &w : works) wait_for(pg, w, "broadcast");
    HT_END
}

int32_t ht_dist_all_gather(ht_process_group *pg, ht_tensor *input, ht_tensor_list **out) {
    HT_BEGIN
    require_out(out);
    auto &g = group(pg);
    at::Tensor in = collective_tensor(pg, input, "all-gather");
    std::vector<at::Tensor> inputs{in};
    std::vector<std::vector<at::Tensor>> outputs(1);
    for (int i = 0; i < pg->world_size; ++i) outputs[0].push_back(at::empty_like(in));
    wait_for(pg, g.allgather(outputs, inputs), "all-gather");
    *out = new ht_tensor_list{std::move(outputs[0])};
    HT_END
}

int32_t ht_dist_barrier(ht_process_group *pg) {
    HT_BEGIN
    auto &g = group(pg);
    wait_for(pg, g.barrier(), "barrier");
    HT_END
}

}  // extern "C"
