#!/bin/bash
# Sourced by the before/after compare scripts: before_tree ROOT BEFORE TREE fills TREE with the
# src/, evolution/, package.json and tsconfig.json of commit BEFORE, today's bench/ files, and a
# link to ROOT's node_modules, so both sides run the same benchmark code.
before_tree() {
  local root=$1 before=$2 tree=$3
  rm -rf "$tree" && mkdir -p "$tree"
  (cd "$root" && git archive "$before" src evolution package.json tsconfig.json) | tar -x -C "$tree"
  (cd "$root" && tar -c bench) | tar -x -C "$tree"
  ln -s "$root/node_modules" "$tree/node_modules"
}
