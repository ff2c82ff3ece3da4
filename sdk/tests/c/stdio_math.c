#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

int main(void)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%.6f %.3e %g", sqrt(2.0), exp(10.0), sin(1.0));
	printf("math: %s\n", buf);
	printf("pow=%.4f log=%.4f atan2=%.4f floor=%.1f fmod=%.2f\n",
	       pow(2.5, 3.1), log(12345.0), atan2(1.0, -1.0), floor(-2.5), fmod(10.0, 3.0));
	printf("long double: %.10Lf\n", sqrtl(3.0L));
	printf("strtod=%.3f strtol=%ld\n", strtod("3.14159", 0), strtol("-12345", 0, 10));
	char s[64] = "Hello, Kandelo";
	for (char *p = s; *p; p++) *p = toupper((unsigned char)*p);
	printf("upper=%s len=%zu cmp=%d chr=%s\n", s, strlen(s), strcmp(s, "HELLO"), strchr(s, 'K'));
	char *tok, *save, line[] = "a,b,,c";
	for (tok = strtok_r(line, ",", &save); tok; tok = strtok_r(0, ",", &save)) printf("[%s]", tok);
	printf("\n");
	fprintf(stderr, "to stderr %d\n", 7);
	return 0;
}
