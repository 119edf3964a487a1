/*
 * yaml_lib: libyaml's own <yaml.h>.
 *
 * registry/yaml.h (ours) shadows libyaml's header on the include path, so
 * a plain #include <yaml.h> inside registry/ finds ours. #include_next
 * continues the search past this directory and reaches the library's.
 * Include this file as <yaml_lib.h>: found through -I, #include_next
 * then knows where it stands in the search path (found as "yaml_lib.h"
 * next to the source, it would restart from the top and find ours).
 */
#ifndef SCHEMAFS_YAML_LIB_H
#define SCHEMAFS_YAML_LIB_H

#include_next <yaml.h>

#endif
