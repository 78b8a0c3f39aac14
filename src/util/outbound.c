/* SPDX-License-Identifier: MIT
 *
 * outbound.c: shared libcurl options and retry-schedule lookup for the hub's outbound calls
 * (see outbound.h). One place initialises libcurl and decides that the hub verifies TLS, never follows redirects and
 * never waits without a bound.
 */
#include "util/outbound.h"

#include <pthread.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : KV_EINTERNAL;
}

int kv_outbound_init(struct kv_err *err)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc < 0)
        return kv_err_set(err, KV_EINTERNAL, "curl_global_init failed");
    return 0;
}

void kv_outbound_http_setup(CURL *easy, const char *url, int64_t connect_ms, int64_t total_ms)
{
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)total_ms);
}

int64_t kv_outbound_delay_ms(const int64_t *delays, size_t n, int failures)
{
    if (failures < 1)
        failures = 1;
    if ((size_t)failures > n)
        return delays[n - 1];
    return delays[failures - 1];
}
