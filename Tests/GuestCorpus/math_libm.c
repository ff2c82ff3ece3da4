/* math_libm: correctly rounded operations printed with %.17g (sqrt, fma, basic arithmetic,
 * exact pow/ldexp/frexp/fmod/rounding), transcendental functions at 15 significant digits
 * plus identities checked to a tolerance, strtod/printf round trips of tricky values,
 * classification, and the results of the libm error cases. Inputs are volatile so
 * the compiler cannot fold the calls. */
#include "corpus.h"
#include <float.h>
#include <math.h>

static volatile double v[] = { 0.0, 0.5, 1.0, 2.0, 3.0, 10.0, 0.1, 1e-300, 1e300, 123.456, 2.5, -2.5, -0.0 };

int main(void)
{
    int nv = sizeof v / sizeof *v;
    for (int i = 0; i < nv; i++) {
        double x = v[i];
        printf("x=%.17g sqrt=%.17g floor=%.17g ceil=%.17g round=%.17g trunc=%.17g rint=%.17g\n", x,
               sqrt(fabs(x)), floor(x), ceil(x), round(x), trunc(x), rint(x));
    }
    volatile double a = 0.1, b = 0.2, c = 3.0;
    printf("0.1+0.2=%.17g 0.1*3=%.17g 1/3=%.17g\n", a + b, a * c, 1.0 / c);
    printf("fma(0.1,3,-0.3)=%.17g\n", fma(a, c, -0.3));
    printf("exact pow: %.17g %.17g %.17g %.17g\n", pow(2.0, 10.0), pow(c, 4.0), pow(2.0, -3.0), pow(-2.0, 3.0));
    printf("pow special: %g %g %g\n", pow(0.0, 0.0), pow(1.0, NAN), pow(2.0, -INFINITY));
    int e;
    double m = frexp(123.456, &e);
    printf("frexp(123.456) = %.17g * 2^%d\n", m, e);
    printf("ldexp(0.75, 5) = %.17g\n", ldexp(0.75, 5));
    printf("fmod(10.5, 3) = %.17g, fmod(-10.5, 3) = %.17g, remainder(10.5, 3) = %.17g\n", fmod(10.5, c),
           fmod(-10.5, c), remainder(10.5, c));
    double ip;
    double fp = modf(-3.75, &ip);
    printf("modf(-3.75) = %.17g + %.17g\n", ip, fp);
    printf("hypot(3,4) = %.17g, cbrt(27) = %.17g, fabs(-0) sign = %d\n", hypot(3.0, 4.0), cbrt(27.0),
           signbit(fabs(-0.0)) != 0);
    printf("copysign(3,-0.0) = %.17g, fmax(1,NaN) = %.17g, fmin = %.17g\n", copysign(3.0, -0.0), fmax(1.0, NAN),
           fmin(2.0, 1.0));
    printf("lround(2.5) = %ld, lround(-2.5) = %ld, llrint(2.5) = %lld, nearbyint(3.5) = %.17g\n", lround(2.5),
           lround(-2.5), llrint(2.5), nearbyint(3.5));
    printf("nextafter(1, 2) - 1 = %.17g (DBL_EPSILON %.17g)\n", nextafter(1.0, 2.0) - 1.0, DBL_EPSILON);
    printf("scalbn(1, -1074) > 0: %d, DBL_MIN = %.17g, DBL_MAX = %.17g\n", scalbn(1.0, -1074) > 0, DBL_MIN, DBL_MAX);

    /* transcendental: 15 digits, and identities */
    volatile double t[] = { 0.5, 1.0, 2.0, 3.14159, 10.0, 100.0 };
    int nt = sizeof t / sizeof *t;
    int ident = 1;
    for (int i = 0; i < nt; i++) {
        double x = t[i];
        printf("x=%g sin=%.15g cos=%.15g tan=%.15g exp=%.15g log=%.15g atan=%.15g\n", x, sin(x), cos(x), tan(x),
               exp(x), log(x), atan(x));
        double s = sin(x), co = cos(x);
        if (fabs(s * s + co * co - 1.0) > 1e-15) ident = 0;
        if (fabs(exp(log(x)) - x) > 1e-13 * x) ident = 0;
        if (fabs(sqrt(x) * sqrt(x) - x) > 1e-15 * x) ident = 0;
    }
    printf("identities hold: %s\n", ident ? "yes" : "no");
    printf("log10(1000)=%.15g log2(1024)=%.15g exp2(10)=%.15g expm1(1e-10)=%.15g log1p(1e-10)=%.15g\n",
           log10(1000.0), log2(1024.0), exp2(10.0), expm1(1e-10), log1p(1e-10));
    printf("asin(1)*2=%.15g acos(-1)=%.15g atan2(1,-1)=%.15g sinh(1)=%.15g tanh(0.5)=%.15g\n", asin(1.0) * 2,
           acos(-1.0), atan2(1.0, -1.0), sinh(1.0), tanh(0.5));
    printf("erf(0.5)=%.12g tgamma(5)=%.15g lgamma(10)=%.12g\n", erf(0.5), tgamma(5.0), lgamma(10.0));
    float ff = 2.0f;
    printf("sqrtf(2)=%.9g sinf(1)=%.6g powf(2,0.5)=%.6g\n", sqrtf(ff), sinf(1.0f), powf(2.0f, 0.5f));

    /* classification */
    volatile double inf = INFINITY, nan_ = NAN, den = 1e-310;
    printf("isinf %d isnan %d isfinite %d, fpclassify: inf %d nan %d normal %d subnormal %d zero %d\n",
           isinf(inf) != 0, isnan(nan_) != 0, isfinite(1.0) != 0, fpclassify(inf) == FP_INFINITE,
           fpclassify(nan_) == FP_NAN, fpclassify(1.0) == FP_NORMAL, fpclassify(den) == FP_SUBNORMAL,
           fpclassify(0.0) == FP_ZERO);
    printf("inf prints as %f %e %g, -inf %f\n", inf, inf, inf, -inf);
    printf("nan is unordered: %d\n", !(nan_ == nan_) && !(nan_ < 1.0) && !(nan_ > 1.0));

    /* domain and range errors (results only: glibc sets errno here, musl does not) */
    double r = sqrt(-v[2]);
    printf("sqrt(-1) isnan %d, log(0) %f, exp(1000) %f, pow(10,400) %f, log(-1) isnan %d\n", isnan(r) != 0,
           log(0.0 * v[2]), exp(1000.0 * v[2]), pow(10.0, 400.0 * v[2]), isnan(log(-v[2])) != 0);

    /* strtod round trips */
    const char *strs[] = {
        "0.1", "1e23", "9007199254740993", "2.2250738585072011e-308", "4.9e-324", "1.7976931348623157e308",
        "1.7976931348623159e308", "0x1.8p1", "-0", "  +3.5abc", "inf", "-Infinity", "1e-400", ".5", "5.",
        "123456789012345678901234567890", "0.30000000000000004", "2.5e-5", "1,5",
    };
    for (unsigned i = 0; i < sizeof strs / sizeof *strs; i++) {
        char *end;
        errno = 0;
        double d = strtod(strs[i], &end);
        int err = errno;
        char back[64];
        snprintf(back, sizeof back, "%.17g", d);
        double again = strtod(back, NULL);
        /* ERANGE is compared only for overflow and underflow to zero: for subnormal
         * results glibc sets it and musl may not */
        printf("strtod(\"%s\") = %.17g consumed %d errno %s round trip %s\n", strs[i], d, (int)(end - strs[i]),
               err == ERANGE && (d == 0 || isinf(d)) ? "ERANGE" : "-", (again == d || (d != d && again != again)) ? "ok" : "BAD");
    }
    printf("strtof(\"0.1\") = %.9g, atof(\"2.75\") = %g\n", strtof("0.1", NULL), atof("2.75"));

    /* shortest round trip for a range of values */
    int rt_ok = 1;
    double x = 1.0;
    for (int i = 0; i < 100; i++) {
        x = x * 1.7 + 0.013;
        if (x > 1e200) x = 1e-7 * (i + 1);
        char s[40];
        snprintf(s, sizeof s, "%.17g", x);
        if (strtod(s, NULL) != x) rt_ok = 0;
    }
    printf("100 %%.17g round trips: %s\n", rt_ok ? "ok" : "BAD");
    return 0;
}
