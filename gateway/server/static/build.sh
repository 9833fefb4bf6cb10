#!/usr/bin/env bash
# Refreshes GraphiQL's browser bundle in this folder from the npm registry, so the gateway serves GraphiQL
# from its own files (no CDN). The copied files are committed; run this only to change versions.
set -euo pipefail

GRAPHIQL_VERSION="${GRAPHIQL_VERSION:-3.8.3}"
REACT_VERSION="${REACT_VERSION:-18.3.1}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "graphiql@${GRAPHIQL_VERSION}" "react@${REACT_VERSION}" "react-dom@${REACT_VERSION}" >/dev/null
unpack() { mkdir "$1" && tar -xzf "$2" -C "$1" --strip-components=1; }
unpack graphiql "graphiql-${GRAPHIQL_VERSION}.tgz"
unpack react "react-${REACT_VERSION}.tgz"
unpack react-dom "react-dom-${REACT_VERSION}.tgz"

cp graphiql/graphiql.min.js graphiql/graphiql.min.css "$here/"
cp react/umd/react.production.min.js "$here/"
cp react-dom/umd/react-dom.production.min.js "$here/"
cp graphiql/LICENSE "$here/LICENSE.graphiql"
cp react/LICENSE "$here/LICENSE.react"
printf 'graphiql %s\nreact %s\nreact-dom %s\n' "$GRAPHIQL_VERSION" "$REACT_VERSION" "$REACT_VERSION" >"$here/VERSIONS"
echo "GraphiQL ${GRAPHIQL_VERSION} and React ${REACT_VERSION} copied to ${here}"
