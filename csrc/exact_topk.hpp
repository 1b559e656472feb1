// exact_topk.hpp: the top-k selection of exact search (exact.hpp): ranked_before, the order
// of results (by distance, then row, NaN last), and k_best, the bounded max-heap in which
// each query keeps its k best candidates, so that its worst entry rejects most rows with one
// comparison; k_best_set holds one heap per query of a range.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "context.hpp"

namespace usg {

// ranked_before orders candidates by distance, then row, with NaN after every number, so it
// is a strict weak order even on NaN distances (a NaN in caller data must not break a sort).
inline bool ranked_before(const candidate& a, const candidate& b) {
    bool an = std::isnan(a.distance), bn = std::isnan(b.distance);
    if (an || bn) return an != bn ? bn : a.slot < b.slot;
    return a.distance < b.distance || (a.distance == b.distance && a.slot < b.slot);
}

// k_best keeps the best `cap` candidates offered for one query in a max-heap on ranked_before
// (the worst at the front). threshold() is the distance a candidate must not exceed to be
// worth offering: +inf while the heap has room.
struct k_best {
    candidate* items;
    uint32_t size = 0, cap = 0;

    float threshold() const { return size < cap ? std::numeric_limits<float>::infinity() : items[0].distance; }
    void offer(float d, slot_t row) {
        candidate c{d, row};
        if (size < cap) {
            items[size++] = c;
            std::push_heap(items, items + size, ranked_before);
        } else if (ranked_before(c, items[0])) {
            std::pop_heap(items, items + size, ranked_before);
            items[size - 1] = c;
            std::push_heap(items, items + size, ranked_before);
        }
    }
};

// k_best_set holds one k_best per query of a range, in one allocation.
struct k_best_set {
    std::vector<candidate> storage;
    std::vector<k_best> heaps;
    k_best_set(size_t queries, size_t cap) : storage(queries * cap), heaps(queries) {
        for (size_t q = 0; q < queries; ++q) heaps[q].items = storage.data() + q * cap, heaps[q].cap = uint32_t(cap);
    }
};

}  // namespace usg
