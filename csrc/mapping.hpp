// mapping.hpp: read-only memory mapping of a whole file, for Load (parse then copy) and
// View (serve searches from the mapped bytes).
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace usg {

class mapped_file {
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
#if defined(_WIN32)
    HANDLE file_ = INVALID_HANDLE_VALUE;
    HANDLE mapping_ = nullptr;
#endif

  public:
    mapped_file() = default;
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    ~mapped_file() { close(); }

    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }

    // open maps the file; on failure it returns a static message (the C library's text for
    // the common errno values) and leaves nothing mapped.
    const char* open(const char* path) {
        close();
#if defined(_WIN32)
        file_ = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
        if (file_ == INVALID_HANDLE_VALUE) return "Can't open the file";
        LARGE_INTEGER size;
        if (!GetFileSizeEx(file_, &size)) return close(), "Can't read the file size";
        size_ = size_t(size.QuadPart);
        if (size_ == 0) return nullptr;
        mapping_ = CreateFileMappingA(file_, nullptr, PAGE_READONLY, 0, 0, nullptr);
        if (!mapping_) return close(), "Can't map the file";
        data_ = static_cast<const uint8_t*>(MapViewOfFile(mapping_, FILE_MAP_READ, 0, 0, 0));
        if (!data_) return close(), "Can't map the file";
        return nullptr;
#else
        int fd = ::open(path, O_RDONLY);
        if (fd < 0) return std::strerror(errno);
        struct stat st;
        if (fstat(fd, &st) != 0) {
            const char* msg = std::strerror(errno);
            ::close(fd);
            return msg;
        }
        if (S_ISDIR(st.st_mode)) {
            ::close(fd);
            return "Is a directory";
        }
        size_ = size_t(st.st_size);
        if (size_ == 0) {
            ::close(fd);
            return nullptr;
        }
        void* p = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
        const char* msg = p == MAP_FAILED ? std::strerror(errno) : nullptr;
        ::close(fd);
        if (msg) {
            size_ = 0;
            return msg;
        }
        data_ = static_cast<const uint8_t*>(p);
        return nullptr;
#endif
    }

    void close() {
#if defined(_WIN32)
        if (data_) UnmapViewOfFile(data_);
        if (mapping_) CloseHandle(mapping_);
        if (file_ != INVALID_HANDLE_VALUE) CloseHandle(file_);
        mapping_ = nullptr, file_ = INVALID_HANDLE_VALUE;
#else
        if (data_) munmap(const_cast<uint8_t*>(data_), size_);
#endif
        data_ = nullptr, size_ = 0;
    }
};

}  // namespace usg
