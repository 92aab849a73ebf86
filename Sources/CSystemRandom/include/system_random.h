#ifndef LOGATLAS_SYSTEM_RANDOM_H
#define LOGATLAS_SYSTEM_RANDOM_H
#include <stddef.h>
#include <errno.h>
#if __has_include(<sys/random.h>)
#include <sys/random.h>
#endif

/// Fills `count` bytes at `bytes` from the system's cryptographic generator (Linux `getrandom`, which is not in
/// Swift's Glibc module). Returns 1 when all were filled, 0 when the call is unavailable or failed.
static inline int logatlas_system_random(void *bytes, size_t count) {
#if defined(GRND_NONBLOCK)
    size_t filled = 0;
    while (filled < count) {
        ssize_t got = getrandom((char *)bytes + filled, count - filled, 0);
        if (got > 0) {
            filled += (size_t)got;
        } else if (got < 0 && errno == EINTR) {
            continue;
        } else {
            return 0;
        }
    }
    return 1;
#else
    (void)bytes;
    (void)count;
    return 0;
#endif
}
#endif
