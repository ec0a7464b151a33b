// SPDX-License-Identifier: MIT
// The public interface of libstrata: load a project, then run one of the managers.
#pragma once

#include "strata/api/bundle.hpp"
#include "strata/api/database_tools.hpp"
#include "strata/api/lint.hpp"
#include "strata/api/managers.hpp"
#include "strata/api/many_databases.hpp"
#include "strata/api/verify.hpp"
#include "strata/api/version.hpp"
#include "strata/error.hpp"
#include "strata/executor/observer.hpp"
#include "strata/executor/snapshot.hpp"
#include "strata/loader/migration_source.hpp"
#include "strata/migration_id.hpp"
#include "strata/plan/plan.hpp"
#include "strata/project/project.hpp"
#include "strata/targets.hpp"
