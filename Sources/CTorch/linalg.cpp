// Linear-algebra operations with autograd (singular values for spectral regularisers).
#include "internal.h"

using namespace ctorch;

extern "C" {

int32_t ht_linalg_svdvals(ht_tensor *t, ht_tensor **out) {
    HT_BEGIN
    require_out(out);
    const at::Tensor &x = tensor(t);
    if (x.dim() < 2)
        throw std::invalid_argument("svdvals needs a matrix (or a batch of matrices), got " +
                                    std::to_string(x.dim()) + " dimension(s)");
    *out = wrap(at::linalg_svdvals(x));
    HT_END
}

}  // extern "C"
