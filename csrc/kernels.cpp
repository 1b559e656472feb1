// kernels.cpp: the distance kernels' dispatch table (find_kernel, declared in kernels.hpp),
// in a translation unit of its own so that it compiles in parallel with lib.cpp.
#include "kernels.hpp"

namespace usg {

kernel_t find_kernel(metric_kind m, scalar_kind k, int isa) {
    if (!metric_supported(m, k)) return {};
#if USG_X86
    kernel_t fast = kern::x86::specialized(m, k, isa);
    if (fast.pair) return fast;
#endif
#if USG_ARM64
    if (kernel_t fast = kern::arm::specialized(m, k, isa); fast.pair) return fast;
#endif
    switch (m) {
    case metric_kind::ip: return kern::by_kind<kern::ip_k>(k, isa);
    case metric_kind::l2sq: return kern::by_kind<kern::l2sq_k>(k, isa);
    case metric_kind::cos: return kern::by_kind<kern::cos_k>(k, isa);
    case metric_kind::pearson: return kern::by_kind<kern::pearson_k>(k, isa);
    case metric_kind::divergence: return kern::by_kind<kern::divergence_k>(k, isa);
    case metric_kind::haversine: return kern::by_kind<kern::haversine_k>(k, isa);
    case metric_kind::hamming: return kern::make_kernel<kern::bits_k<0>>(isa);
    case metric_kind::tanimoto: case metric_kind::jaccard: return kern::make_kernel<kern::bits_k<1>>(isa);
    case metric_kind::sorensen: return kern::make_kernel<kern::bits_k<2>>(isa);
    default: return {};
    }
}

}  // namespace usg
