// SPDX-License-Identifier: MIT
// The public interface of libstrata: load a project, then run one of the managers.
#pragma once

#include "core/api/database_tools.hpp"
#include "core/api/managers.hpp"
#include "core/api/version.hpp"
#include "core/error.hpp"
#include "core/executor/observer.hpp"
#include "core/migration_id.hpp"
#include "core/plan/plan.hpp"
#include "core/project/project.hpp"
