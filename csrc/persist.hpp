// persist.hpp: moving an index to and from the file format: adopting a validated image
// (copied for Load, referenced for View) and emitting the image in resumable chunks, so
// that callers can stream it to a file, a buffer or an io.Writer without a full copy.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "format.hpp"
#include "index.hpp"
#include "mapping.hpp"
#include "nonfinite.hpp"

namespace usg {

// save_cursor remembers where the previous chunk ended; tapes have variable sizes, so the
// cursor also keeps the node whose record contains the offset.
struct save_cursor {
    uint64_t offset = 0;
    uint64_t total = 0;
    uint64_t tape_slot = 0;
    uint64_t tape_offset = 0;
};

struct persistence {
    static int level_of(const dense_index& x, slot_t s) {
        const uint8_t* t = x.tape_of(s);
        return t ? tape_level(t) : 0;
    }

    // live_source is what save_chunk reads of an index that does not change meanwhile.
    struct live_source {
        const dense_index& x;
        uint64_t size() const { return x.size_.load(); }
        uint64_t entry() const { return x.entry_.load(); }
        size_t live() const { return x.size(); }
        const uint8_t* row(slot_t s) { return x.vector_of(s); }
        const uint8_t* tape(slot_t s) { return x.tape_of(s); }
    };

    // snapshot_source reads an index as it was when its snapshot began (index.hpp,
    // dense_index::snapshot), while writes go on: each node under its lock, from the copy a
    // write kept of it or else from the node itself, which no write has changed since.
    struct snapshot_source {
        const dense_index& x;
        const dense_index::snapshot& sn;
        std::vector<uint8_t> row_copy, tape_copy;
        uint64_t size() const { return sn.n; }
        uint64_t entry() const { return sn.entry; }
        size_t live() const { return sn.live; }
        const uint8_t* row(slot_t s) {
            dense_index::node_lock lock(x.slots_[s].lock);
            const uint8_t* kept = sn.rows[s].load(std::memory_order_acquire);
            const uint8_t* r = kept ? kept : x.vector_of(s);
            if (!r) return nullptr;
            row_copy.assign(r, r + x.vector_bytes_);
            return row_copy.data();
        }
        const uint8_t* tape(slot_t s) {
            dense_index::node_lock lock(x.slots_[s].lock);
            const uint8_t* kept = sn.tapes[s].load(std::memory_order_acquire);
            const uint8_t* t = kept ? kept : x.tape_of(s);
            if (!t) return nullptr;
            tape_copy.assign(t, t + x.layout_.bytes(tape_level(t)));
            return tape_copy.data();
        }
    };

    // Levels never change once a record exists (a reused slot keeps its level), so the
    // sizes of the records are read from the index itself.
    static uint64_t serialized_length(const dense_index& x) { return serialized_length(x, x.size_.load()); }
    static uint64_t serialized_length(const dense_index& x, uint64_t n) {
        uint64_t bytes = 8 + n * x.vector_bytes_ + file_header_bytes + graph_header_bytes + 2 * n;
        for (uint64_t s = 0; s < n; ++s) bytes += x.layout_.bytes(level_of(x, slot_t(s)));
        return bytes;
    }

    // save_chunk writes the next bytes of the image into out (at most cap) and returns how
    // many; 0 means the image is complete. The index must not change between chunks.
    static size_t save_chunk(const dense_index& x, save_cursor& c, uint8_t* out, size_t cap) {
        live_source src{x};
        return save_chunk(x, src, c, out, cap);
    }

    template <typename Source>
    static size_t save_chunk(const dense_index& x, Source& src, save_cursor& c, uint8_t* out, size_t cap) {
        uint64_t n = src.size(), C = x.vector_bytes_;
        if (c.offset == 0 && c.total == 0) c.total = serialized_length(x, n);
        uint64_t header_at = 8 + n * C, graph_at = header_at + file_header_bytes;
        uint64_t levels_at = graph_at + graph_header_bytes, tapes_at = levels_at + 2 * n;
        if (c.tape_offset < tapes_at) c.tape_slot = 0, c.tape_offset = tapes_at;
        size_t written = 0;
        auto put = [&](const uint8_t* src_bytes, uint64_t section_at, uint64_t section_len) {
            uint64_t within = c.offset - section_at;
            size_t take = size_t(std::min<uint64_t>(section_len - within, cap - written));
            if (src_bytes) std::memcpy(out + written, src_bytes + within, take);
            else std::memset(out + written, 0, take);
            written += take, c.offset += take;
        };
        while (written < cap && c.offset < c.total) {
            uint64_t o = c.offset;
            if (o < 8) {
                uint32_t shape[2] = {uint32_t(n), uint32_t(C)};
                put(reinterpret_cast<const uint8_t*>(shape), 0, 8);
            } else if (o < header_at) {
                uint64_t slot = (o - 8) / C;
                put(src.row(slot_t(slot)), 8 + slot * C, C);
            } else if (o < levels_at) {
                uint8_t headers[file_header_bytes + graph_header_bytes];
                uint64_t e = src.entry();
                write_headers(headers, headers + file_header_bytes, x.config_, x.metric_.label, size_t(n), src.live(),
                              dense_index::entry_level(e), dense_index::entry_slot(e), x.layout_.M, x.layout_.M0);
                put(headers, header_at, file_header_bytes + graph_header_bytes);
            } else if (o < tapes_at) {
                uint64_t slot = (o - levels_at) / 2;
                int16_t level = int16_t(level_of(x, slot_t(slot)));
                put(reinterpret_cast<const uint8_t*>(&level), levels_at + 2 * slot, 2);
            } else {
                while (c.tape_offset + x.layout_.bytes(level_of(x, slot_t(c.tape_slot))) <= o)
                    c.tape_offset += x.layout_.bytes(level_of(x, slot_t(c.tape_slot))), ++c.tape_slot;
                slot_t slot = slot_t(c.tape_slot);
                const uint8_t* tape = src.tape(slot);
                uint8_t placeholder[16] = {0};  // a record lost to an allocation failure: empty tombstone
                if (!tape) std::memset(placeholder, 0xFF, 8);
                uint64_t bytes = x.layout_.bytes(level_of(x, slot));
                if (tape) {
                    put(tape, c.tape_offset, bytes);
                } else if (o - c.tape_offset < 10) {
                    put(placeholder, c.tape_offset, 10);
                } else {
                    put(nullptr, c.tape_offset, bytes);
                }
            }
        }
        return written;
    }

    // snapshot_chunk is save_chunk for the index's running snapshot.
    static status snapshot_chunk(const dense_index& x, save_cursor& c, uint8_t* out, size_t cap, size_t& written) {
        const dense_index::snapshot* sn = x.snapshot_.load();
        if (!sn) return fail(status_code::invalid_argument, "No snapshot is running");
        snapshot_source src{x, *sn, {}, {}};
        written = save_chunk(x, src, c, out, cap);
        // A copy a write could not allocate leaves the image without that node as it was.
        if (sn->failed.load()) return fail(status_code::out_of_memory, "Out of memory keeping the snapshot's nodes");
        return {};
    }

    // adopt fills a fresh, uninitialised index from a validated image. With view set, the
    // index serves vectors and records from the image's memory and becomes read-only.
    static status adopt(dense_index& x, const file_image& img, bool view, const index_config& keep) {
        index_config c = img.config;
        c.expansion_add = keep.expansion_add, c.expansion_search = keep.expansion_search;
        if (img.rows == 0 && keep.connectivity) c.connectivity = keep.connectivity, c.connectivity_base = keep.connectivity_base;
        status st = x.init(c, nullptr, true);
        if (!st) return st;
        size_t n = img.rows;
        if (n && !x.slots_.ensure(n)) return fail(status_code::out_of_memory, "Out of memory!");
        // A view's rows are the file's vectors, laid end to end.
        if (view) x.vectors_.borrow(img.vectors, img.cols, n);
        else if (n && !x.vectors_.ensure(n)) return fail(status_code::out_of_memory, "Out of memory!");
        const uint8_t* tape = img.tapes;
        size_t live = 0;
        // Stored vectors must be finite (nonfinite.hpp). Load checks each row just after
        // copying it, while it is in cache; a view reports non-finite distances as +Inf.
        bool scan = !view && holds_nonfinite(c.storage);
        x.metric_.guard = nonfinite_guard::for_vectors(view, c.storage, c.dimensions);
        for (size_t i = 0; i < n; ++i) {
            size_t bytes = x.layout_.bytes(tape_level(tape));
            dense_index::slot_ref& ref = x.slots_[i];
            if (view) {
                ref.tape.store(const_cast<uint8_t*>(tape));
            } else {
                uint8_t* record = x.arena_.allocate(bytes);
                if (!record) return fail(status_code::out_of_memory, "Out of memory!");
                std::memcpy(x.vectors_.row(i), img.vectors + i * img.cols, img.cols), std::memcpy(record, tape, bytes);
                ref.tape.store(record);
            }
            key_t key = tape_key(tape);
            if (scan && !vector_finite(c.storage, x.vectors_.row(i), c.dimensions)) {
                size_t dim = 0;
                first_nonfinite(c.storage, x.vectors_.row(i), 1, 0, c.dimensions, &dim);
                // A removed entry is never returned, only walked through: its vector (which
                // upstream, not checking inputs, may have stored) becomes zeros rather than
                // making the whole file unloadable.
                if (key == tombstone_key) std::memset(x.vectors_.row(i), 0, img.cols);
                else return nonfinite_file_error(key, i, dim, load_f64(c.storage, x.vectors_.row(i), dim));
            }
            try {
                if (key == tombstone_key) {
                    x.free_.push_back(slot_t(i));
                } else {
                    // A single-vector index holds each key once; a file saying otherwise
                    // is refused here, or searches would return the same key twice.
                    switch (x.keys_.insert(key, slot_t(i), !c.multi)) {
                    case key_map::inserted: ++live; break;
                    case key_map::duplicate:
                        return fail(status_code::invalid_file, "Key stored twice in a single-vector index");
                    default: return fail(status_code::out_of_memory, "Out of memory!");
                    }
                }
            } catch (...) {
                return fail(status_code::out_of_memory, "Out of memory!");
            }
            tape += bytes;
        }
        x.size_ = n, x.capacity_ = n, x.live_ = live;
        x.entry_ = n ? dense_index::pack_entry(img.max_level, img.entry) : dense_index::pack_entry(-1, 0);
        if (!view) x.recount_in_links();  // a view is read-only: it never prunes a list
        x.read_only_ = view;
        return {};
    }

    // save_file writes the image to a file in chunks of save_chunk_bytes, so that saving
    // needs no second copy of the index in memory.
    static status save_file(const dense_index& x, const char* path) {
        if (!path) return fail(status_code::invalid_argument, "Path is NULL");
        std::vector<uint8_t> chunk;
        try {
            chunk.resize(save_chunk_bytes);
        } catch (...) {
            return fail(status_code::out_of_memory, "Out of memory!");
        }
        std::FILE* f = std::fopen(path, "wb");
        if (!f) return fail(status_code::io, std::strerror(errno));
        save_cursor cursor;
        for (size_t n; (n = save_chunk(x, cursor, chunk.data(), chunk.size())) > 0;)
            if (std::fwrite(chunk.data(), 1, n, f) != n) {
                const char* msg = std::strerror(errno);
                std::fclose(f);
                return fail(status_code::io, msg);
            }
        if (std::fclose(f) != 0) return fail(status_code::io, std::strerror(errno));
        return {};
    }
    static constexpr size_t save_chunk_bytes = size_t(1) << 20;
};

}  // namespace usg
