# Turnout proxy image: builds the TypeScript once, ships only the compiled proxy and its
# production dependencies, and runs as an unprivileged user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY bench ./bench
COPY test ./test
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY config ./config
USER node
# 9092: bootstrap listener; 9100+: one port per virtual node; 9644: admin HTTP.
EXPOSE 9092 9100-9131 9644
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["start", "--config", "/app/config/turnout.example.yaml"]
