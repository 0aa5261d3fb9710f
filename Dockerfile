# syntax=docker/dockerfile:1
#
# Portcullis image: the gateway (`serve`, the default) and, from the same image, the portal simulator
# (`portal`) and the demo (`demo`). Three stages:
#   build    all dependencies, `npm run build` (TypeScript -> dist/)
#   deps     production dependencies only (`npm ci --omit=dev`)
#   runtime  dist/ (with its assets: seed, Lua, password filter, compact geo DB) + production
#            node_modules (without geoip-lite's data) + policies
#            and config; non-root; no compiler,
#            no dev dependency, no npm cache.
#
#   docker build -t portcullis .
#   docker run --rm -p 8080:8080 -e PORTCULLIS_UPSTREAM=http://portal.example:80 \
#              -e PORTCULLIS_SECRET=... portcullis
#
# Node: the current LTS line (24). CI runs the test suite on Node 24 as well as on the machine's 20.
ARG NODE_IMAGE=node:24-slim

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so that the dependency layer is cached until they change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# geoip-lite's data (154 MB) stays out of the image: the gateway reads the compact copy that
# `npm run build` derived from it (dist/gateway/signals/geo/geo-compact.bin, 24 MB; lookup.ts), and
# with no geoip-lite data beside it that copy is used as it is. Removed here, in the stage whose
# node_modules are copied, so that no layer of the runtime image holds it.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf node_modules/geoip-lite/data

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# NODE_OPTIONS: V8's old space capped at 384 MB. The gateway's live heap stays near 100–150 MB
# (every table is bounded), but uncapped V8 sizes its heap from the host's RAM and keeps the pages:
# 1M distinct attacking logins measured 477–508 MiB RSS uncapped, 238–260 MiB capped
# (docs/performance.md). Raise it together with storeOptions.memory.maxCounterKeys.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=384 \
    PORTCULLIS_LISTEN=0.0.0.0:8080 \
    PORTCULLIS_ADMIN_LISTEN=127.0.0.1:9180 \
    PORTCULLIS_POLICIES=/app/policies \
    PORTCULLIS_STATE_DIR=/var/lib/portcullis
WORKDIR /app

# Code and data are owned by root and read-only to the process; only the state folder (journal of
# blocks, requests and known devices for the memory store) is writable. Mount a volume there.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY policies ./policies
COPY config ./config
RUN rm -f dist/.tsbuildinfo* \
 && mkdir -p /var/lib/portcullis \
 && chown 1000:1000 /var/lib/portcullis

# The node image's unprivileged `node` user, numeric so that runAsNonRoot can verify it.
USER 1000:1000

# 8080: the gateway's listener. 9180: the admin API; it listens on loopback unless
# PORTCULLIS_ADMIN_LISTEN says otherwise (docker-compose.yml opens it to the compose network).
EXPOSE 8080 9180

# There is no curl in -slim: Node asks the admin listener itself, wherever PORTCULLIS_ADMIN_LISTEN
# puts it (a wildcard address is reached through loopback).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const a=process.env.PORTCULLIS_ADMIN_LISTEN||'127.0.0.1:9180';const i=a.lastIndexOf(':');let h=a.slice(0,i).replace(/^\\[|\\]$/g,'');if(h===''||h==='0.0.0.0'||h==='::')h='127.0.0.1';if(h.includes(':'))h='['+h+']';fetch('http://'+h+':'+a.slice(i+1)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Node runs as PID 1: the CLI handles SIGTERM and SIGINT itself (gateway/cli/shutdown.ts).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/portcullis.js"]
CMD ["serve"]
