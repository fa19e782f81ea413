// ICU's charset detector and converters behind plain C types (Debian: libicu-dev). ICU's own
// headers cannot be seen from Swift beside Foundation, which carries an ICU of its own with
// types of the same names; only this file's .c includes them.
#pragma once
#include <stdint.h>

/// The charset matches ICU's detector finds for `bytes`, best first: for each, its name is
/// written at names + 32 * i (NUL-terminated, cut to 31 bytes) and its confidence (0-100) to
/// confidences[i]. Returns how many were written (at most `capacity`), or -1 on an ICU error.
int32_t vs_detect_charsets(const char *bytes, int32_t length, char *names, int32_t *confidences, int32_t capacity);

/// `bytes` in `charset` converted to UTF-16 in `out`; the number of units, or -1 when the
/// charset is unknown, a sequence is invalid in it (nothing is substituted), or `out` is too small.
int32_t vs_convert_to_utf16(const char *charset, const char *bytes, int32_t length, uint16_t *out, int32_t capacity);
