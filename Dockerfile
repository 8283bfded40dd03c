# One image for every role: ROLES (api, worker, watcher) picks what a container runs.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

FROM node:24-bookworm-slim AS runtime
# tini reaps the orphans that jobs of the local runtime leave behind (node as PID 1 does not).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 rjs \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin rjs
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY scripts/install-runtime-deps.sh ./scripts/
RUN sh scripts/install-runtime-deps.sh && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY radixconfig.yaml ./radixconfig.yaml
COPY examples ./examples
# Numeric, so Kubernetes can check runAsNonRoot without a runAsUser of its own.
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/apps/scheduler/src/main.js"]
