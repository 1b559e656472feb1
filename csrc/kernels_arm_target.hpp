// kernels_arm_target.hpp: how this compiler asks for the arm64 extensions in target
// attributes, and how many arm64 kernel levels it can build (USG_ARM_ISA_COUNT, counting
// serial). Included by kernels.hpp on aarch64 before the level list is declared.
//
// Attribute spelling. Clang takes "+feature" on top of the build's own target. GCC 12 also
// does, but declares the extension intrinsics under "arch=armv8.2-a+feature", so a
// "+feature" function in a build for Armv8.0/8.1 cannot call them; "arch=armv8.2-a+feature"
// can, yet it would drop features of a build for a later architecture (-march=armv8.4-a,
// -mcpu=neoverse-n1, ...) and then our own always-inline helpers, compiled with those, would
// not inline into it. So: "+feature" when the build already targets Armv8.2 or later (one of
// the macros below is set), "arch=armv8.2-a(+crypto)+feature" otherwise.
//
// Levels. Clang before 17 declares the extension intrinsics only when the whole build has the
// feature (its arm_neon.h tests __ARM_FEATURE_*), as does GCC before 10 for BF16; a level
// such a compiler cannot build is left out, and so are the ones above it.
#pragma once

#if defined(__ARM_FEATURE_DOTPROD) || defined(__ARM_FEATURE_FP16_FML) ||                          \
    defined(__ARM_FEATURE_FP16_SCALAR_ARITHMETIC) || defined(__ARM_FEATURE_FP16_VECTOR_ARITHMETIC) || \
    defined(__ARM_FEATURE_COMPLEX) || defined(__ARM_FEATURE_JCVT) || defined(__ARM_FEATURE_SVE) ||    \
    defined(__ARM_FEATURE_BF16_VECTOR_ARITHMETIC) || defined(__ARM_FEATURE_MATMUL_INT8)
#define USG_ARM_BUILD_V82 1
#else
#define USG_ARM_BUILD_V82 0
#endif

#if defined(__clang__) || USG_ARM_BUILD_V82
#define USG_ARM_BASE ""
#elif defined(__ARM_FEATURE_CRYPTO)
#define USG_ARM_BASE "arch=armv8.2-a+crypto"
#else
#define USG_ARM_BASE "arch=armv8.2-a"
#endif

#if defined(__clang__)
#define USG_ARM_ATTR_DOT (__clang_major__ >= 17)
#define USG_ARM_ATTR_BF16 (__clang_major__ >= 17)
#else
#define USG_ARM_ATTR_DOT (__GNUC__ >= 8)
#define USG_ARM_ATTR_BF16 (__GNUC__ >= 10)
#endif

#if USG_ARM_ATTR_DOT || defined(__ARM_FEATURE_DOTPROD)
#define USG_ARM_CAN_DOT 1
#else
#define USG_ARM_CAN_DOT 0
#endif
#if USG_ARM_ATTR_DOT || defined(__ARM_FEATURE_FP16_FML)
#define USG_ARM_CAN_FHM 1
#else
#define USG_ARM_CAN_FHM 0
#endif
#if USG_ARM_ATTR_BF16 || defined(__ARM_FEATURE_BF16_VECTOR_ARITHMETIC)
#define USG_ARM_CAN_BF16 1
#else
#define USG_ARM_CAN_BF16 0
#endif

#if !USG_ARM_CAN_DOT
#define USG_ARM_ISA_COUNT 2  // serial, neon
#elif !USG_ARM_CAN_FHM
#define USG_ARM_ISA_COUNT 3  // + neon_i8
#elif !USG_ARM_CAN_BF16
#define USG_ARM_ISA_COUNT 4  // + neon_f16
#else
#define USG_ARM_ISA_COUNT 5  // + neon_bf16
#endif
