// Devices: the CPU always, CUDA when a GPU is asked for and present.
//
// Only libtorch_cpu and libc10 are linked, so one build runs on machines with and
// without a GPU. libtorch_cuda.so registers the CUDA kernels and hooks when it is
// loaded; ht_cuda_load dlopens it from the directory libtorch_cpu.so was loaded
// from (a GPU machine's own libtorch of the same version), the first time a GPU is
// asked for. Every failure says what is missing.
#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include <torch/headeronly/version.h>

#include <dlfcn.h>

#include <mutex>

#include "internal.h"

namespace ctorch {

// The directory of the loaded libtorch_cpu.so (found from one of its functions).
std::string libtorch_directory() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void *>(&at::globalContext), &info) == 0 || info.dli_fname == nullptr)
        throw std::runtime_error("cannot locate the loaded libtorch_cpu.so");
    std::string path(info.dli_fname);
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace ctorch

namespace {

std::mutex cuda_mutex;
bool cuda_tried = false;
std::string cuda_error;  // empty once CUDA is usable

void load_cuda_once() {
    std::lock_guard<std::mutex> lock(cuda_mutex);
    if (cuda_tried) return;
    cuda_tried = true;
    if (!at::globalContext().hasCUDA()) {
        const std::string dir = ctorch::libtorch_directory();
        const std::string library = dir + "/libtorch_cuda.so";
        if (dlopen(library.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
            const char *why = dlerror();
            cuda_error = "no CUDA libtorch: " + library + " could not be loaded (" + (why ? why : "unknown") +
                         "); run on a machine with a CUDA build of PyTorch " +
                         std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                         std::to_string(TORCH_VERSION_PATCH) + " and point LD_LIBRARY_PATH at its torch/lib, or use --device cpu";
            return;
        }
    }
    if (!at::globalContext().hasCUDA()) {
        cuda_error = "no GPU: CUDA libtorch is loaded but finds no usable CUDA device (driver missing or no GPU); use --device cpu";
        return;
    }
    cuda_error.clear();
}

}  // namespace

void ctorch::require_cuda() {
    load_cuda_once();
    if (!cuda_error.empty()) throw std::runtime_error(cuda_error);
}

using namespace ctorch;

extern "C" {

int32_t ht_cuda_load(void) {
    HT_BEGIN
    require_cuda();
    HT_END
}

int32_t ht_cuda_device_count(int32_t *out) {
    HT_BEGIN
    require_out(out);
    load_cuda_once();
    *out = cuda_error.empty() ? static_cast<int32_t>(at::detail::getCUDAHooks().getNumGPUs()) : 0;
    HT_END
}

int32_t ht_tensor_to_device(ht_tensor *t, int32_t device_type, int32_t index, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    *out = wrap(tensor(t).to(device(device_type, index)));
    HT_END
}

int32_t ht_tensor_move_to_device(ht_tensor *t, int32_t device_type, int32_t index) {
    HT_BEGIN
    const at::Tensor &live = tensor(t);  // set_data is const: it swaps the TensorImpl's storage
    const at::Device target = device(device_type, index);
    if (live.device() != target) {
        at::NoGradGuard no_grad;
        live.set_data(live.to(target));
    }
    HT_END
}

int32_t ht_tensor_device(ht_tensor *t, int32_t *device_type, int32_t *index) {
    HT_BEGIN
    require_out(device_type);
    require_out(index);
    const at::Device d = tensor(t).device();
    *device_type = d.is_cuda() ? HT_DEVICE_CUDA : HT_DEVICE_CPU;
    if (!d.is_cuda() && !d.is_cpu()) throw std::runtime_error("tensor is on an unsupported device " + d.str());
    *index = d.has_index() ? d.index() : (d.is_cuda() ? 0 : -1);
    HT_END
}

}  // extern "C"

namespace ctorch {

at::Device device(int32_t device_type, int32_t index) {
    switch (device_type) {
        case HT_DEVICE_CPU: return at::Device(at::kCPU);
        case HT_DEVICE_CUDA:
            load_cuda_once();
            if (!cuda_error.empty()) throw std::runtime_error(cuda_error);
            if (index < 0) index = 0;
            if (index >= at::detail::getCUDAHooks().getNumGPUs())
                throw std::invalid_argument("no GPU cuda:" + std::to_string(index) + " (this machine has " +
                                            std::to_string(at::detail::getCUDAHooks().getNumGPUs()) + ")");
            return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
        default: throw std::invalid_argument("unknown device type " + std::to_string(device_type));
    }
}

}  // namespace ctorch
