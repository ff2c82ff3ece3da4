/* time_format: gmtime/localtime/strftime on fixed epochs, mktime and timegm with TZ=UTC0,
 * normalisation of out-of-range fields, asctime, difftime, strptime. */
#include "corpus.h"
#include <time.h>

static void show_tm(const char *label, const struct tm *tm)
{
    printf("%s: %04d-%02d-%02d %02d:%02d:%02d wday %d yday %d isdst %d\n", label,
           tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec,
           tm->tm_wday, tm->tm_yday, tm->tm_isdst);
}

int main(void)
{
    setenv("TZ", "UTC0", 1);
    tzset();
    const long long epochs[] = {
        0, 1, 59, 86399, 86400, 951782400 /* 2000-02-29 */, 951868800, 1234567890,
        1700000000, 2147483647LL, 2147483648LL, 4102444800LL, -1, -86400, -2208988800LL,
        253402300799LL,
    };
    char buf[256];
    for (unsigned i = 0; i < sizeof epochs / sizeof *epochs; i++) {
        time_t t = (time_t)epochs[i];
        struct tm tm;
        MUST(gmtime_r(&t, &tm));
        snprintf(buf, sizeof buf, "gmtime %lld", epochs[i]);
        show_tm(buf, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ %a %A %b %B %j %U %W %u %w %y %C %e %I %p %D %T %R %F %G %V %g %s %%", &tm);
        printf("  strftime: %s\n", buf);
        struct tm copy = tm;
        time_t back = timegm(&copy);
        printf("  timegm round trip: %s\n", back == t ? "yes" : "no");
    }

    /* %c %x %X in the C locale (%Z of a gmtime result is "GMT" in glibc, "UTC" in musl) */
    time_t t = 1234567890;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "[%c] [%x] [%X] [%h] [%n] [%t]", &tm);
    printf("C locale: %s\n", buf);
    printf("asctime: %s", asctime(&tm));
    printf("strftime small buffer: %zu\n", strftime(buf, 5, "%Y-%m-%d", &tm));
    printf("strftime empty result: %zu\n", strftime(buf, sizeof buf, "", &tm));

    /* localtime with TZ=UTC0 equals gmtime */
    struct tm lt;
    localtime_r(&t, &lt);
    show_tm("localtime", &lt);
    strftime(buf, sizeof buf, "%Z %z", &lt);
    printf("zone: %s\n", buf);

    /* mktime normalises */
    struct tm m = { 0 };
    m.tm_year = 2024 - 1900; m.tm_mon = 1; m.tm_mday = 30; m.tm_hour = 25; m.tm_min = -5; m.tm_sec = 70;
    m.tm_isdst = 0;
    time_t mt = mktime(&m);
    printf("mktime(2024-02-30 25:-5:70) = %lld\n", (long long)mt);
    show_tm("  normalised", &m);
    memset(&m, 0, sizeof m);
    m.tm_year = 70; m.tm_mday = 1;
    printf("mktime epoch = %lld\n", (long long)mktime(&m));
    memset(&m, 0, sizeof m);
    m.tm_year = 100; m.tm_mon = 12; m.tm_mday = 1;
    printf("mktime month 12 of 2000 = %lld\n", (long long)mktime(&m));
    show_tm("  normalised", &m);
    memset(&m, 0, sizeof m);
    m.tm_year = 99; m.tm_mon = 0; m.tm_mday = 0;
    printf("mktime day 0 = %lld\n", (long long)mktime(&m));
    show_tm("  normalised", &m);

    printf("difftime: %.1f\n", difftime((time_t)1000, (time_t)250));

    /* strptime */
    memset(&m, 0, sizeof m);
    const char *end = strptime("2021-07-04 13:45:12", "%Y-%m-%d %H:%M:%S", &m);
    printf("strptime consumed all: %s\n", end && *end == 0 ? "yes" : "no");
    printf("  -> timegm %lld\n", (long long)timegm(&m));
    memset(&m, 0, sizeof m);
    end = strptime("Sat Mar 14 2015", "%a %b %d %Y", &m);
    printf("strptime names: %s mon %d mday %d year %d wday %d\n", end ? "ok" : "fail", m.tm_mon, m.tm_mday,
           m.tm_year + 1900, m.tm_wday);
    end = strptime("garbage", "%Y", &m);
    printf("strptime garbage: %s\n", end ? "ok" : "NULL");

    /* a zone with an offset */
    setenv("TZ", "EST5", 1);
    tzset();
    t = 0;
    localtime_r(&t, &lt);
    show_tm("EST5 localtime(0)", &lt);
    strftime(buf, sizeof buf, "%Z %z", &lt);
    printf("zone: %s\n", buf);
    memset(&m, 0, sizeof m);
    m.tm_year = 70; m.tm_mday = 1;
    printf("EST5 mktime(1970-01-01 00:00) = %lld\n", (long long)mktime(&m));
    return 0;
}
