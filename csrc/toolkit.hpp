// toolkit.hpp: struct toolkit, the friend of dense_index (index.hpp) that holds the
// operations on a whole index rather than on one vector, so that index.hpp stays the hot path.
// This header declares them; each is defined in the header of its concern:
//   exact_index.hpp  exact search over the index's own rows (one query or a batch)
//   inspect.hpp      export of the live entries by key part, graph statistics
//   clone.hpp        copying settings and content into an empty index
//   compact.hpp      compaction: a copy without the removed nodes, the graph repaired
// Why a friend and not a narrower interface: these read and write the index's raw state
// (the slot table, node records, vector rows, arena, key map, entry point, free list) as one
// consistent whole, and compaction also drives the graph walk and neighbor selection with its
// own candidates. Public accessors for all of that would widen dense_index's surface for every
// caller; one friend confines the reach to the files listed here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "context.hpp"
#include "index.hpp"

namespace usg {

struct toolkit {
    // ---- exact_index.hpp ----
    static status search_exact(dense_index& x, const void* query, scalar_kind kind, size_t k, key_t* keys,
                               float* distances, size_t& found);
    static status search_exact_batch(dense_index& x, const void* queries, scalar_kind kind, size_t query_count,
                                     size_t query_stride, size_t k, key_t* keys, float* distances, size_t* found,
                                     bool& handled);

    // ---- inspect.hpp ----
    static status export_part(const dense_index& x, unsigned part_bits, uint64_t part, key_t* keys, void* vectors,
                              scalar_kind kind, size_t capacity, size_t& count);

    struct stats {
        size_t nodes = 0, removed = 0, edges = 0;
        int max_level = -1;
        size_t level_nodes[64] = {}, level_edges[64] = {};
    };
    static stats graph_stats(const dense_index& x);

    // ---- clone.hpp ----
    static void init_like(dense_index& y, const dense_index& x);
    static void take_settings(dense_index& y, const dense_index& x);
    static status clone(const dense_index& x, dense_index& y);

    // ---- compact.hpp ----
    static uint64_t mutations(const dense_index& x);
    static status compact(dense_index& x, dense_index& y, const volatile int32_t* cancel, size_t threads,
                          uint64_t& epoch);

  private:
    struct compaction;  // compact.hpp
    static size_t results_out(const dense_index& x, context& ctx, size_t k, key_t* keys, float* distances);
};

}  // namespace usg
