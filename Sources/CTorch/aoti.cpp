// AOTInductor packages (`.pt2` from torch._inductor.aoti_compile_and_package):
// inference-only models compiled ahead of time by `torch.export` + Inductor.
// libtorch's package loader unpacks the archive, dlopens its compiled kernels and
// runs them on flat lists of tensors (the exported program's flattened inputs and
// outputs).
#include <torch/csrc/inductor/aoti_package/model_package_loader.h>

#include <dlfcn.h>

#include <memory>

#include "internal.h"

struct ht_aoti_model {
    std::unique_ptr<torch::inductor::AOTIModelPackageLoader> loader;
};

using namespace ctorch;

namespace {

// A package's compiled model links `libtorch.so` (the library that, in a PyTorch
// install, pulls in libtorch_cpu and, on CUDA builds, libtorch_cuda). HubMiner links
// libtorch_cpu only, so the libtorch.so beside it is loaded first: the dynamic
// loader then satisfies the package's dependency with it instead of searching the
// system paths (where another version of libtorch may lie). The per-machine install
// of scripts/dev.sh provides a CPU libtorch.so that only links libtorch_cpu.
void load_libtorch_for_packages() {
    if (dlopen("libtorch.so", RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL) != nullptr) return;
    const std::string library = libtorch_directory() + "/libtorch.so";
    if (dlopen(library.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
        const char *why = dlerror();
        throw std::runtime_error("AOTInductor packages need " + library + ", which could not be loaded (" +
                                 (why ? why : "unknown") + "); reinstall libtorch with `bash scripts/dev.sh deps`");
    }
}

}  // namespace

extern "C" {

int32_t ht_aoti_load(const char *path, int32_t device_type, int32_t index, ht_aoti_model **out) {
    HT_BEGIN
    require_out(out);
    if (path == nullptr) throw std::invalid_argument("null path");
    // The loader compiles for the device it is given: a CUDA package needs CUDA.
    const at::Device d = device(device_type, index);
    load_libtorch_for_packages();
    auto loader = std::make_unique<torch::inductor::AOTIModelPackageLoader>(
        std::string(path), "model", /*run_single_threaded=*/false, /*num_runners=*/1,
        d.is_cuda() ? d.index() : static_cast<c10::DeviceIndex>(-1));
    *out = new ht_aoti_model{std::move(loader)};
    HT_END
}

void ht_aoti_free(ht_aoti_model *m) { delete m; }

int32_t ht_aoti_run(ht_aoti_model *m, ht_tensor *const *inputs, int64_t n, ht_tensor_list **out) {
    HT_BEGIN
    require_out(out);
    if (m == nullptr || !m->loader) throw std::invalid_argument("null AOTInductor model handle");
    if (n < 0 || (n > 0 && inputs == nullptr)) throw std::invalid_argument("bad input array");
    std::vector<at::Tensor> in;
    in.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) in.push_back(tensor(inputs[i]));
    auto result = m->loader->run(in);
    *out = new ht_tensor_list{std::move(result)};
    HT_END
}

/* The package's metadata as "key=value" lines (AOTINDUCTOR_DEVICE, ...). */
int32_t ht_aoti_metadata(ht_aoti_model *m, char **out) {
    HT_BEGIN
    require_out(out);
    if (m == nullptr || !m->loader) throw std::invalid_argument("null AOTInductor model handle");
    std::string text;
    for (const auto &[key, value] : m->loader->get_metadata()) text += key + "=" + value + "\n";
    *out = copy_string(text);
    HT_END
}

}  // extern "C"
