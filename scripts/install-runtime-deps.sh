#!/bin/sh
# The runtime image's node_modules: the production dependencies exactly as package-lock.json lists
# them, and nothing a running service does not read. Used by the Dockerfile's runtime stage and by
# test/deploy/install.spec.ts, which measures the result without a Docker engine.
set -eu
# --omit=optional as well: typescript (23 MB) is an optional peer of @nestjs/swagger and valibot,
# which npm keeps unless optional packages are left out; the only other optional package of the
# runtime tree is msgpackr-extract, a native accelerator that msgpackr does without.
npm ci --omit=dev --omit=optional --no-audit --no-fund
# Type declarations and source maps are for compilers and debuggers (@kubernetes/client-node alone
# ships 30 MB of them).
find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.js.map' -o -name '*.mjs.map' -o -name '*.cjs.map' -o -name '*.d.ts.map' \) -delete
