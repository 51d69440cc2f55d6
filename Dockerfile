# syntax=docker/dockerfile:1
#
# journey in a container: one binary, data in the /data volume.
#   docker build --build-arg VERSION=1.2.3 -t journey .
#   docker run -p 8080:8080 -v journey-data:/data journey            # serve
#   docker run -p 8080:8080 journey demo                              # demo
# Configuration is by environment (see README, "Configuration").

ARG GO_VERSION=1.26.8
ARG NODE_VERSION=20.18.1
# distroless publishes no version tags: release builds may pin the digest,
# --build-arg RUNTIME_IMAGE=gcr.io/distroless/base-debian12:nonroot@sha256:...
ARG RUNTIME_IMAGE=gcr.io/distroless/base-debian12:nonroot

# 1. The editor. When web/package.json exists (the React editor), it is
#    built with npm ci && npm run build into web/dist; otherwise the
#    committed web/dist is used as it is.
FROM node:${NODE_VERSION}-bookworm-slim AS web
WORKDIR /src/web
COPY web/ ./
RUN if [ -f package.json ]; then npm ci --no-audit --no-fund && npm run build; fi

# 2. The Go binary, with cgo for SQLite (mattn/go-sqlite3).
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=1
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/web/dist ./web/dist
ARG VERSION=dev
RUN go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/journey . \
 && mkdir -p /out/data /out/tmp

# 3. A small glibc runtime: distroless base has glibc, ca-certificates and
#    tzdata, no shell, and a non-root user (65532). The binary also embeds
#    the time zone database.
FROM ${RUNTIME_IMAGE} AS runtime
ARG VERSION=dev
LABEL org.opencontainers.image.title="journey" \
      org.opencontainers.image.description="Self-hosted journey and automation engine" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/journey /usr/local/bin/journey
COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build --chown=65532:65532 --chmod=1777 /out/tmp /tmp
ENV JOURNEY_ADDR=0.0.0.0:8080 \
    JOURNEY_DB=sqlite:///data/app.db \
    JOURNEY_LOG_LEVEL=info
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/journey", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/journey"]
CMD ["serve"]
