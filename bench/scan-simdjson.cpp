/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * simdjson timed on the body bench/scan.c times the module's scanner on
 * (bench/scan.sh), with the kernel it picks for this CPU: the fastest
 * JSON validator known, to tell how far a validating pass could go on
 * this machine.  Not part of the module (C++, and it builds a tape).
 *
 *   validate_utf8   the UTF-8 check alone
 *   minify          stage 1 (structural index, string masks) and a copy
 *                   without the blanks: no grammar check
 *   parse           stages 1 and 2: the whole document checked
 *
 * A line each: pass, us, GB/s (tabs between); the version and kernel on
 * stderr.
 *
 * usage: scan-simdjson BODY REPS
 */

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>


template <typename F>
static void
scan_time(const char *name, size_t len, unsigned long reps, F pass)
{
    unsigned long  i;

    for (i = 0; i < reps / 10; i++) {
        pass();
    }

    auto  t0 = std::chrono::steady_clock::now();

    for (i = 0; i < reps; i++) {
        pass();
    }

    double  us = std::chrono::duration<double, std::micro>(
                     std::chrono::steady_clock::now() - t0).count() / reps;

    std::printf("%s\t%.2f\t%.2f\t\n", name, us, len / us / 1e3);
}


int
main(int argc, char **argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s BODY REPS\n", argv[0]);
        return 2;
    }

    simdjson::padded_string  body;

    if (simdjson::padded_string::load(argv[1]).get(body)) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }

    unsigned long         reps = std::strtoul(argv[2], nullptr, 10);
    simdjson::dom::parser parser;
    std::vector<char>     out(body.size() + simdjson::SIMDJSON_PADDING);
    size_t                n;

    std::fprintf(stderr, "simdjson %s, kernel %s\n", SIMDJSON_STRINGIFY(SIMDJSON_VERSION),
        simdjson::get_active_implementation()->name().c_str());

    scan_time("simdjson validate_utf8", body.size(), reps, [&] {
        if (!simdjson::validate_utf8(body.data(), body.size())) {
            std::abort();
        }
    });

    scan_time("simdjson minify (stage 1)", body.size(), reps, [&] {
        if (simdjson::minify(body.data(), body.size(), out.data(), n)) {
            std::abort();
        }
    });

    scan_time("simdjson parse (validates)", body.size(), reps, [&] {
        if (parser.parse(body).error()) {
            std::abort();
        }
    });

    return 0;
}
