// config.hpp: what every part of the core shares: the status a call reports (tied to the C
// API's usearchx_status_t codes), an index's configuration and its defaults.
#pragma once

#include <cstddef>

#include "kernels.hpp"  // scalar_kind, metric_kind
#include "usearch_ext.h"

namespace usg {

// status_code takes its values from usearchx_status_t, so the C API reports them as they are
// and the Go layer maps the same constants to its sentinel errors.
enum class status_code : int {
    ok = usearchx_ok_k,
    not_initialized = usearchx_not_initialized_k,
    invalid_argument = usearchx_invalid_argument_k,
    unsupported = usearchx_unsupported_k,
    duplicate_key = usearchx_duplicate_key_k,
    reserved_key = usearchx_reserved_key_k,
    capacity = usearchx_capacity_k,
    read_only = usearchx_read_only_k,
    out_of_memory = usearchx_out_of_memory_k,
    invalid_file = usearchx_invalid_file_k,
    io = usearchx_io_k,
    callback = usearchx_callback_k,
    cancelled = usearchx_cancelled_k,
};

struct status {
    status_code code = status_code::ok;
    const char* message = nullptr;
    explicit operator bool() const { return code == status_code::ok; }
};
inline status fail(status_code c, const char* m) { return status{c, m}; }

// The defaults a 0 in a configuration stands for (usearchx_defaults_t, shared with the Go layer).
constexpr size_t default_connectivity = usearchx_default_connectivity_k,
                 default_expansion_add = usearchx_default_expansion_add_k,
                 default_expansion_search = usearchx_default_expansion_search_k;

struct index_config {
    scalar_kind storage = scalar_kind::f32;
    metric_kind metric = metric_kind::cos;
    size_t dimensions = 0;
    size_t connectivity = 0;      // M; 0 = default_connectivity
    size_t connectivity_base = 0; // M0; 0 = 2M
    size_t expansion_add = 0;     // 0 = default_expansion_add
    size_t expansion_search = 0;  // 0 = default_expansion_search
    bool multi = false;
};

// expansion_or_default resolves a configured beam width: 0 stands for the default.
inline size_t expansion_or_default(size_t configured, size_t fallback) { return configured ? configured : fallback; }

}  // namespace usg
