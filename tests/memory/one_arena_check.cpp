// SPDX-License-Identifier: MIT
// util::use_one_memory_arena, checked in a process of its own (a test runner's other threads
// would already have arenas): a second thread that allocates must not get an arena of its own,
// so malloc_info() lists one heap. With --control the call is left out, and the thread's arena
// must then show: proof that the check can tell the two apart.
// Exits 0 when the outcome is the expected one, 1 when not, 77 (skipped) without glibc or
// under a sanitizer, whose allocator is not glibc's.
#include "util/platform.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <thread>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define STRATA_OTHER_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRATA_OTHER_ALLOCATOR 1
#endif
#endif

#if defined(__GLIBC__) && !defined(STRATA_OTHER_ALLOCATOR)
// The arenas malloc_info() reports: one <heap nr="N"> element each.
std::size_t arena_count() {
    char* text = nullptr;
    std::size_t size = 0;
    FILE* out = ::open_memstream(&text, &size);
    if (out == nullptr || ::malloc_info(0, out) != 0)
        std::abort();
    std::fclose(out);
    std::size_t count = 0;
    for (std::string_view rest(text, size); rest.find("<heap nr=") != std::string_view::npos;
         ++count)
        rest.remove_prefix(rest.find("<heap nr=") + 1);
    std::free(text);
    return count;
}
#endif

int main(int argc, char** argv) {
#if !defined(__GLIBC__) || defined(STRATA_OTHER_ALLOCATOR)
    (void)argc;
    (void)argv;
    std::puts("skipped: needs glibc's allocator");
    return 77;
#else
    const bool control = argc > 1 && std::string_view(argv[1]) == "--control";
    if (!control)
        strata::util::use_one_memory_arena();
    constexpr std::size_t k_blocks = 64;
    std::vector<void*> blocks;
    blocks.reserve(k_blocks);
    std::thread([&blocks] {
        for (std::size_t i = 0; i < k_blocks; ++i)
            blocks.push_back(std::malloc(4096));
    }).join();
    const std::size_t arenas = arena_count();
    for (void* block : blocks)
        std::free(block);
    std::printf("%s: %zu arena(s) after a second thread allocated\n",
                control ? "default" : "one arena", arenas);
    return arenas == (control ? 2 : 1) ? 0 : 1;
#endif
}
