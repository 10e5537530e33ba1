# syntax=docker/dockerfile:1
# Build with the Swift toolchain, run on slim Debian with only the runtime libraries.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        pkg-config libpq-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libnghttp2-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
RUN swift build -c release --product goldensignals --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/goldensignals" /goldensignals

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpq5 libcurl4 libssl3 zlib1g libnghttp2-14 ca-certificates tzdata curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/goldensignals --shell /usr/sbin/nologin goldensignals
COPY --from=build /goldensignals /usr/local/bin/goldensignals
COPY migrations /app/migrations
COPY openapi.yaml /app/openapi.yaml
WORKDIR /app
USER goldensignals
ENV GS_HOST=0.0.0.0 GS_PORT=8080 GS_MIGRATIONS_DIR=/app/migrations GS_OPENAPI_PATH=/app/openapi.yaml GS_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health/live || exit 1
# The image has no PostgreSQL server: set DATABASE_URL (docker-compose.yml does).
ENTRYPOINT ["goldensignals"]
CMD ["serve"]
