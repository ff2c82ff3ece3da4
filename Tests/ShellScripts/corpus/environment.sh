# The environment: export to children, per-command assignments, unset, exported
# variables seen by env and by a child shell, a variable that is not exported.
export EXPORTED=yes
notexported=no
sh -c 'echo "child sees EXPORTED=$EXPORTED notexported=${notexported-unset}"'
ONLYHERE=once sh -c 'echo "prefix assignment: $ONLYHERE"'
echo "after: ${ONLYHERE-unset}"
env | grep -E '^(EXPORTED|ONLYHERE)=' | sort
export A=1 B=2
env | grep -E '^[AB]=' | sort
unset A
env | grep -E '^[AB]=' | sort
env -i X=clean env
(export SUBONLY=1); echo "subshell export: ${SUBONLY-unset}"
