#include "icu_bridge.h"

#include <string.h>
#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>

int32_t vs_detect_charsets(const char *bytes, int32_t length, char *names, int32_t *confidences, int32_t capacity) {
    UErrorCode status = U_ZERO_ERROR;
    UCharsetDetector *detector = ucsdet_open(&status);
    if (U_FAILURE(status)) return -1;
    ucsdet_setText(detector, bytes, length, &status);
    int32_t count = 0;
    const UCharsetMatch **matches = ucsdet_detectAll(detector, &count, &status);
    int32_t written = 0;
    for (int32_t i = 0; U_SUCCESS(status) && i < count && written < capacity; i++) {
        const char *name = ucsdet_getName(matches[i], &status);
        int32_t confidence = ucsdet_getConfidence(matches[i], &status);
        if (U_FAILURE(status) || name == NULL) break;
        strncpy(names + 32 * written, name, 31);
        names[32 * written + 31] = 0;
        confidences[written] = confidence;
        written++;
    }
    ucsdet_close(detector);  // the matches belong to the detector: read before closing
    return U_FAILURE(status) ? -1 : written;
}

int32_t vs_convert_to_utf16(const char *charset, const char *bytes, int32_t length, uint16_t *out, int32_t capacity) {
    UErrorCode status = U_ZERO_ERROR;
    UConverter *converter = ucnv_open(charset, &status);
    if (U_FAILURE(status)) return -1;
    ucnv_setToUCallBack(converter, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &status);
    int32_t units = U_SUCCESS(status) ? ucnv_toUChars(converter, (UChar *)out, capacity, bytes, length, &status) : -1;
    ucnv_close(converter);
    return U_FAILURE(status) || status == U_STRING_NOT_TERMINATED_WARNING ? -1 : units;
}
