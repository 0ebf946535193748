// The NCCL process group, as a plugin the shim dlopens when data-parallel ranks
// run on GPUs (docs/DISTRIBUTED.md, "GPUs and NCCL").
//
// Not part of the SwiftPM build (Package.swift excludes this directory): the header
// of c10d::ProcessGroupNCCL includes CUDA's and NCCL's headers, which the wheel's
// libtorch does not carry, and the group's code lives in libtorch_cuda.so, which
// HubMiner never links (one build must start on machines without CUDA).
// `bash scripts/dev.sh nccl` compiles this file against the headers of a CUDA
// build of PyTorch of the same version (pip's torch with its nvidia-* packages)
// into libhubminer_nccl.so. The shim loads libtorch_cuda.so first (RTLD_GLOBAL),
// then this plugin, and calls hubminer_nccl_create through dlsym.
//
// The interface is C (extern "C", no C++ type crosses it by value), but it hands
// over c10d objects by pointer, so the plugin and the shim must be compiled against
// the same libtorch headers: the plugin records the version it was built for and
// the shim refuses another (hubminer_nccl_torch_version).
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/headeronly/version.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

namespace {

void set_error(char *error, size_t capacity, const std::string &message) {
    if (error == nullptr || capacity == 0) return;
    std::snprintf(error, capacity, "%s", message.c_str());
}

}  // namespace

extern "C" {

// "MAJOR.MINOR.PATCH" of the libtorch headers this plugin was compiled against.
const char *hubminer_nccl_torch_version(void) {
    static const std::string version = std::to_string(TORCH_VERSION_MAJOR) + "." +
                                       std::to_string(TORCH_VERSION_MINOR) + "." +
                                       std::to_string(TORCH_VERSION_PATCH);
    return version.c_str();
}

// Creates the NCCL group of `world_size` ranks over `store` (borrowed: the plugin
// takes its own reference) with this rank's GPU `device_index` bound to it. Returns
// the group as a c10d::Backend with one reference owned by the caller (release it
// with c10::intrusive_ptr<c10d::Backend>::reclaim), or null with the reason in
// `error`. No exception leaves this function.
void *hubminer_nccl_create(void *store, int32_t rank, int32_t world_size, int32_t device_index,
                           int64_t timeout_ms, char *error, size_t error_capacity) {
    try {
        if (store == nullptr) throw std::invalid_argument("null store");
        auto shared = c10::intrusive_ptr<c10d::Store>::unsafe_reclaim_from_nonowning(
            static_cast<c10d::Store *>(store));
        auto options = c10d::ProcessGroupNCCL::Options::create();
        options->timeout = std::chrono::milliseconds(timeout_ms);
        auto group = c10::make_intrusive<c10d::ProcessGroupNCCL>(shared, rank, world_size, options);
        // Binding the group to this rank's GPU and connecting now (as
        // init_process_group(device_id=...) does in Python) makes a broken set-up
        // fail here, at the rendezvous, and not in the first gradient all-reduce.
        const at::Device device(at::kCUDA, static_cast<c10::DeviceIndex>(device_index));
        group->setBoundDeviceId(device);
        group->eagerConnectSingleDevice(device);
        c10::intrusive_ptr<c10d::Backend> backend = group;
        return backend.release();
    } catch (const c10::Error &e) {
        set_error(error, error_capacity, e.what_without_backtrace());
    } catch (const std::exception &e) {
        set_error(error, error_capacity, e.what());
    } catch (...) {
        set_error(error, error_capacity, "unknown error creating the NCCL process group");
    }
    return nullptr;
}

}  // extern "C"
