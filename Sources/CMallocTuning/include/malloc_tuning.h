#ifndef LOGATLAS_MALLOC_TUNING_H
#define LOGATLAS_MALLOC_TUNING_H
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

/// Keeps allocations below `mmap_threshold` bytes in the heap and up to `trim_threshold` freed bytes in the
/// process (glibc's mallopt); a no-op elsewhere. Returns 1 when both settings were applied.
static inline int logatlas_keep_freed_buffers(int mmap_threshold, int trim_threshold) {
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
    return mallopt(M_MMAP_THRESHOLD, mmap_threshold) && mallopt(M_TRIM_THRESHOLD, trim_threshold);
#else
    return 0;
#endif
}
#endif
