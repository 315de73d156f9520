# The Anvil manager image: `docker build -t ghcr.io/anvil-metal/anvil:v0.1.0 .`
# Two stages so the image holds only production dependencies and the compiled
# dist/, never the TypeScript toolchain.
FROM node:20-slim AS build
WORKDIR /src
# A C compiler for the native TFTP pump (ADR 0028); node_api.h ships with Node.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY api ./api
COPY bmc ./bmc
COPY pxe ./pxe
COPY controllers ./controllers
COPY cmd ./cmd
COPY ramdisk ./ramdisk
COPY scripts/build-native.sh ./scripts/
RUN bash scripts/build-native.sh && npx tsc -p tsconfig.build.json \
 && mkdir -p dist/pxe/tftp/native/build && cp pxe/tftp/native/build/tftp-pump.node dist/pxe/tftp/native/build/

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# DHCP (67) and TFTP (69) are privileged ports, and DHCP replies go out on one
# interface (SO_BINDTODEVICE needs CAP_NET_RAW). Kubernetes does not raise a
# non-root container's added capabilities into its effective set, so node
# carries them as file capabilities; the Deployment keeps them in the
# bounding set (manifests/manager/manager.yaml).
# Debian's ipxe package: the binaries the TFTP server hands PXE ROMs
# (/usr/lib/ipxe, the manager's ipxeDir; docs/pxe.md "The iPXE binaries").
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin ipxe \
 && setcap cap_net_bind_service,cap_net_raw=+ep "$(command -v node)" \
 && apt-get purge -y libcap2-bin && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/dist ./dist
USER 65532:65532
ENTRYPOINT ["node", "dist/cmd/anvil.js"]
CMD ["manager"]
