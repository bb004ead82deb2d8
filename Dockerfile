# syntax=docker/dockerfile:1
# Build stage: the pinned Bun compiles the server into one self-contained binary.
FROM oven/bun:1.4.5-debian AS build
WORKDIR /src
COPY package.json bun.lock bunfig.toml tsconfig.json ./
# bun install applies patches/ (package.json patchedDependencies); --frozen-lockfile fails without them.
COPY patches ./patches
RUN bun install --frozen-lockfile
COPY src ./src
COPY sql ./sql
COPY scripts/build.ts ./scripts/build.ts
RUN bun run build

# Runtime stage: the binary alone on a slim glibc base, as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /app app \
 && mkdir -p /app/data && chown app:app /app/data
COPY --from=build /src/dist/transcript-api /usr/local/bin/transcript-api
USER app
WORKDIR /app
ENV HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/app/data
EXPOSE 8000
VOLUME ["/app/data"]
# The binary probes itself: no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD ["transcript-api", "healthcheck"]
ENTRYPOINT ["transcript-api"]
CMD ["serve"]
