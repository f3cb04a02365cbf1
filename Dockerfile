# The service as an image: built with the dev dependencies, run with the production ones only, as
# the unprivileged `node` user. docker-compose.yml runs it beside Postgres and Redis; see docs/docker.md.

FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: node-llama-cpp's would try to build llama.cpp when its prebuilt binaries
# (shipped as npm packages) do not load, and @scarf/scarf's only reports the install.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

FROM node:20.20-bookworm-slim AS runtime
WORKDIR /app
COPY package.json package-lock.json ./
# The CPU binaries of node-llama-cpp stay (the app asks for no GPU and never builds, so nothing is
# downloaded at run time); the CUDA and Vulkan variants (about 600 MB) go.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/@node-llama-cpp/*-cuda* node_modules/@node-llama-cpp/*-vulkan \
  && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY models ./models
COPY docker/entrypoint.sh ./docker/entrypoint.sh
USER node
ENV PORT=3000
EXPOSE 3000
# /health answers 503 while Postgres or Redis is unreachable. Node's fetch: the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Through sh, so the script runs even where a checkout lost its executable bit.
ENTRYPOINT ["/bin/sh", "docker/entrypoint.sh"]
