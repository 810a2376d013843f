/* Building a struct httpd_resp: the helpers handlers use (httpd/httpd.h). */
#include "httpd/httpd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int httpd_resp_header(struct httpd_resp *resp, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *v = NULL;
	int n;

	if (resp->nheaders >= HTTPD_MAX_RESP_HEADERS)
		return SNP_E_INVALID;
	va_start(ap, fmt);
	n = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SNP_E_NOMEM;
	resp->headers[resp->nheaders].name = name;
	resp->headers[resp->nheaders].value = v;
	resp->nheaders++;
	return 0;
}

int httpd_resp_set(struct httpd_resp *resp, unsigned status, const char *content_type,
		   const void *body, size_t len)
{
	uint8_t *copy = NULL;

	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
	if (len > 0) {
		if ((copy = malloc(len)) == NULL) {
			resp->status = 500;
			resp->content_type = NULL;
			return SNP_E_NOMEM;
		}
		memcpy(copy, body, len);
	}
	resp->status = status;
	resp->content_type = content_type;
	resp->body = copy;
	resp->len = len;
	return 0;
}

void httpd_resp_free(struct httpd_resp *resp)
{
	for (unsigned i = 0; i < resp->nheaders && i < HTTPD_MAX_RESP_HEADERS; i++)
		free(resp->headers[i].value);
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}
