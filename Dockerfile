# syntax=docker/dockerfile:1
# Fulmar as a container: one stateless pod. Run several behind a load balancer against one bucket
# (see docker-compose.yml), or one alone on the embedded filesystem store in /data.
#
#   docker build -t fulmar .
#   docker run -p 8080:8080 -v fulmar-data:/data fulmar

# NODE_IMAGE is the base of every stage; Fulmar runs on Node 20.19+, 22 and 24.
ARG NODE_IMAGE=node:22-bookworm-slim

# build installs all dependencies, compiles TypeScript into dist/ and the web console into
# dist/console/ (Vite; bundled, so the runtime image needs neither Vite nor Preact).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json
COPY console ./console
RUN node node_modules/vite/bin/vite.js build --config console/vite.config.ts

# deps installs the production dependencies only.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The runtime image: dist/ and production node_modules, run as the unprivileged `node` user.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    FULMAR_HOST=0.0.0.0 \
    PORT=8080 \
    FULMAR_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The image's unprivileged `node` user (uid 1000) owns the data folder and nothing else.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
# 3000: the web console (FULMAR_CONSOLE_PORT; docs/console.md#console-address).
EXPOSE 8080 3000
# The slim image has no curl: ask Node itself. /healthz answers as long as the process is alive.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Fulmar drains on SIGTERM (stops accepting, finishes in-flight writes); give it
# FULMAR_SHUTDOWN_GRACE_MS (25 s) plus a margin: `docker stop -t 30`, compose stop_grace_period: 30s.
STOPSIGNAL SIGTERM
CMD ["node", "dist/cli.js", "serve"]
