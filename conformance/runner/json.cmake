# slm_json: the identity/lineage codec and the strict field readers, shared with the eval library
# and the WASM ABI (wasm/abi.cpp), hence a file of its own that the wasm32 build includes as well.
set(SLM_JSON_SOURCES ${CMAKE_CURRENT_LIST_DIR}/src/cases/identity_json.cpp ${CMAKE_CURRENT_LIST_DIR}/src/json_fields.cpp)
add_library(slm_json STATIC ${SLM_JSON_SOURCES})
target_include_directories(slm_json PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(slm_json PUBLIC slm_reference nlohmann_json::nlohmann_json PRIVATE slm_warnings)
